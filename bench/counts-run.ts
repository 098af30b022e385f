// The counts' change-feed functions in a process of their own, as the local host runs them:
// the real registrations of counts-from-comments and counts-from-votes (their handlers, retry
// policies and trigger options) on the local server's change feed, from now on. The
// application's writes come from the parent (bench/counts-traffic.ts). Each child document the
// parent writes carries `benchWrittenAt`; each delivery is recorded with the time the invocation
// that received it finished (its parents recounted and patched). The feed gives a document's
// latest version only, so told each document's last write, it waits until it has seen that
// version of every one, hands its deliveries back, then re-delivers a batch that changes no count.
import path from 'node:path';
import { functionsEngine } from '../src/shared/composition/functions-engine';
import { effectiveSettings, settingValue } from '../src/shared/config/config';
import { ChangeFeedTrigger, cosmosTriggerOptions } from '../src/host/change-feed-trigger';
import { loadRegistrations, Registration } from '../src/host/registrations';

const FUNCTIONS = ['counts-from-comments', 'counts-from-votes'];
/** Gives up this long after it was told where the writes ended (a bounded bench, not a hang). */
const DRAIN_LIMIT_MS = 180_000;

/** A document's delivered versions: [benchWrittenAt, when its invocation finished] (epoch ms). */
export type Deliveries = Record<string, [number, number][]>;

export interface CountsFollowResult {
  /** Versions delivered (a document written twice between two reads of the feed, once). */
  changes: number;
  deliveries: Deliveries;
  parentWrites: number;
  writesPerChange: number;
  /** Parent writes when a batch of already-counted changes is delivered again. */
  writesForUnchangedBatch: number;
  unchangedBatchSize: number;
  invocations: number;
}

async function main() {
  const settings = effectiveSettings();
  const resolve = (value: string) =>
    value.replace(/%([A-Za-z0-9_]+)%/g, (_, name: string) => settingValue(name, settings) ?? '');
  const engine = functionsEngine();
  // Every parent patch the handlers make, counted where the store makes it.
  const store = engine.counts;
  let parentWrites = 0;
  const patch = store.patchParent.bind(store);
  store.patchParent = async (...args) => {
    const outcome = await patch(...args);
    if (outcome.value.status === 'written') parentWrites++;
    return outcome;
  };

  const deliveries: Deliveries = {};
  let changes = 0;
  const delivered: Record<string, unknown>[] = [];
  let invocations = 0;
  const registrations = loadRegistrations(
    FUNCTIONS.map((name) => path.resolve(__dirname, '../src/functions', `${name}.ts`)),
  ).map((registration): Registration => ({
    ...registration,
    handler: async (...args: unknown[]) => {
      const result = await registration.handler(...args);
      const now = Date.now();
      invocations++;
      for (const document of args[0] as Record<string, unknown>[]) {
        const at = document.benchWrittenAt;
        if (typeof at !== 'number') continue;
        changes++;
        (deliveries[String(document.id)] ??= []).push([at, now]);
        if (delivered.length < 500) delivered.push(document);
      }
      return result;
    },
  }));
  const stopping = new AbortController();
  const log = (level: string, line: string) => {
    if (level !== 'information') process.stderr.write(`counts-run: ${line}\n`);
  };
  const triggers = registrations.map(
    (registration) =>
      new ChangeFeedTrigger(
        registration,
        cosmosTriggerOptions(registration.trigger, resolve),
        engine.cosmos,
        log,
        stopping.signal,
      ),
  );
  for (const trigger of triggers) await trigger.start();

  let latest: [string, number][] | undefined;
  let toldAt = 0;
  process.on('message', (message: { latest?: [string, number][] }) => {
    if (message.latest !== undefined) {
      latest = message.latest;
      toldAt = performance.now();
    }
  });
  const seenLatest = ([id, at]: [string, number]) =>
    deliveries[id]?.some(([written]) => written >= at) ?? false;
  // The triggers start from now: give them a poll to take their leases before the writes.
  await sleep(1_000);
  process.send!({ ready: true });
  for (;;) {
    await sleep(200);
    if (latest === undefined) continue;
    const missing = latest.filter((entry) => !seenLatest(entry)).length;
    if (missing === 0) break;
    if (performance.now() - toldAt > DRAIN_LIMIT_MS)
      throw new Error(
        `the functions had not seen ${missing} of ${latest.length} documents' last writes in time`,
      );
  }
  const writesBefore = parentWrites;
  // What the feed would deliver again (at least once): nothing to write.
  const votes = registrations.find((r) => r.name === 'counts-from-votes')!;
  const comments = registrations.find((r) => r.name === 'counts-from-comments')!;
  const again = delivered.slice(0, 100);
  const context = { log: () => undefined, error: () => undefined, warn: () => undefined };
  await comments.handler(
    again.filter((d) => d.type !== 'vote' && d.deletedType !== 'vote'),
    context,
  );
  await votes.handler(
    again.filter((d) => d.type === 'vote' || d.deletedType === 'vote'),
    context,
  );
  const writesForUnchangedBatch = parentWrites - writesBefore;
  stopping.abort();
  await Promise.all(triggers.map((trigger) => trigger.stopped()));
  const result: CountsFollowResult = {
    changes,
    deliveries,
    parentWrites: writesBefore,
    writesPerChange: changes === 0 ? 0 : writesBefore / changes,
    writesForUnchangedBatch,
    unchangedBatchSize: again.length,
    invocations,
  };
  await engine.close();
  await new Promise<void>((resolve) => process.send!(result, () => resolve()));
  process.disconnect?.();
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
