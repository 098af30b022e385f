import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { InvocationContext, LogLevel } from '@azure/functions';
import { errorMessage } from '../shared/errors/app-error';
import { Registration, RetryMetadata } from './registrations';

export type HostLogLevel = 'information' | 'warning' | 'error';

/** Where the host's lines go (the terminal, or a test's buffer). */
export type HostLog = (level: HostLogLevel, line: string) => void;

export interface Invocation {
  /** Why it runs, as the Functions host logs it (e.g. "This function was programmatically called"). */
  reason: string;
  triggerMetadata?: Record<string, unknown>;
}

const LEVELS: Partial<Record<LogLevel, HostLogLevel>> = {
  warning: 'warning',
  error: 'error',
  critical: 'error',
};

/**
 * Runs a registered handler once, as the Functions worker does: a fresh InvocationContext
 * whose log lines go to the host log under the function's name, the trigger's inputs first.
 */
export async function invokeOnce(
  registration: Registration,
  inputs: unknown[],
  invocation: Invocation,
  log: HostLog,
  retryContext?: { retryCount: number; maxRetryCount: number },
): Promise<unknown> {
  const invocationId = randomUUID();
  const context = new InvocationContext({
    invocationId,
    functionName: registration.name,
    triggerMetadata: invocation.triggerMetadata ?? {},
    ...(retryContext ? { retryContext } : {}),
    logHandler: (level, ...args) =>
      log(LEVELS[level] ?? 'information', `[${registration.name}] ${args.map(String).join(' ')}`),
  });
  const started = Date.now();
  log(
    'information',
    `Executing 'Functions.${registration.name}' (Reason='${invocation.reason}', Id=${invocationId})`,
  );
  try {
    const result = await registration.handler(...inputs, context);
    log(
      'information',
      `Executed 'Functions.${registration.name}' (Succeeded, Id=${invocationId}, Duration=${Date.now() - started}ms)`,
    );
    return result;
  } catch (error) {
    log(
      'error',
      `Executed 'Functions.${registration.name}' (Failed, Id=${invocationId}, Duration=${Date.now() - started}ms): ${errorMessage(error)}`,
    );
    throw error;
  }
}

/**
 * Runs it under the registration's retry policy (timer and Cosmos DB triggers support one):
 * a failed invocation is retried after its delay, up to `maxRetryCount` (-1: until it
 * succeeds or the host stops), and the last error is thrown.
 */
export async function invokeWithRetry(
  registration: Registration,
  inputs: unknown[],
  invocation: Invocation,
  log: HostLog,
  stopping: AbortSignal,
): Promise<unknown> {
  const policy = registration.retry;
  for (let retryCount = 0; ; retryCount++) {
    try {
      return await invokeOnce(
        registration,
        inputs,
        invocation,
        log,
        policy ? { retryCount, maxRetryCount: policy.maxRetryCount } : undefined,
      );
    } catch (error) {
      const exhausted =
        !policy || (policy.maxRetryCount >= 0 && retryCount >= policy.maxRetryCount);
      if (exhausted || stopping.aborted) throw error;
      const delay = retryDelayMs(policy, retryCount + 1);
      log(
        'warning',
        `[${registration.name}] retry ${retryCount + 1}${policy.maxRetryCount >= 0 ? ` of ${policy.maxRetryCount}` : ''} in ${delay} ms`,
      );
      await sleep(delay, undefined, { signal: stopping }).catch(() => undefined);
      if (stopping.aborted) throw error;
    }
  }
}

/** The delay before retry `n` (1-based): fixed, or doubling from the minimum up to the maximum. */
export function retryDelayMs(policy: RetryMetadata, n: number): number {
  if (policy.retryStrategy === 'fixedDelay') return (policy.delayInterval?.seconds ?? 0) * 1000;
  const min = (policy.minimumInterval?.seconds ?? 0) * 1000;
  const max = (policy.maximumInterval?.seconds ?? Number.MAX_SAFE_INTEGER / 1000) * 1000;
  return Math.min(max, min * 2 ** (n - 1));
}
