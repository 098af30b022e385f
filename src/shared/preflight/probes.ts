import { setTimeout as sleep } from 'node:timers/promises';
import { ProbeResult, ReachabilityProbe } from './ports';
import { Check, check } from './report';
import { firstLine } from './source-checks';

/** A service this process was not configured for: a warning, not a failure (nothing can be checked). */
export function notConfigured(id: string, title: string, reason: string): ReachabilityProbe {
  return { id, title, check: async () => ({ verdict: 'warn', reason }) };
}

/** Runs a probe with a deadline; a throw or the deadline is a `fail` with a one-line reason. */
export async function runProbe(probe: ReachabilityProbe, timeoutMs: number): Promise<Check> {
  const controller = new AbortController();
  const deadline = sleep(timeoutMs, undefined, { signal: controller.signal }).then(
    (): ProbeResult => ({ verdict: 'fail', reason: `no answer within ${timeoutMs / 1000} s` }),
    () => undefined as never,
  );
  try {
    const result = await Promise.race([probe.check(controller.signal), deadline]);
    return check(probe.id, probe.title, result.verdict, result.reason);
  } catch (error) {
    return check(probe.id, probe.title, 'fail', firstLine(error));
  } finally {
    controller.abort();
  }
}
