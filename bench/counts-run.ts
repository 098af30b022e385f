// NOT YET PART OF `npm run bench`: at 500 writes/s into the 100k target the functions here
// kept up with about 10 changes/s (each parent's recount is several queries; where the time
// goes was not measured yet), so the phase never drained. Kept for the counts bench of issue 12.
// The counts' change-feed functions in a process of their own, as the local host runs them:
// the real registrations of counts-from-comments and counts-from-votes (their handlers, retry
// policies and trigger options) on the local server's change feed, from now on. The
// application's writes come from the parent (bench/full-load.ts). Each child document the
// parent writes carries `benchWrittenAt`; once the invocation that received it has finished
// (its parents recounted and patched), its lag is now minus that. Told where the writes ended,
// it waits until it has seen every one, then re-delivers a batch that changes no count.
import path from 'node:path';
import { functionsEngine } from '../src/shared/composition/functions-engine';
import { effectiveSettings, settingValue } from '../src/shared/config/config';
import { ChangeFeedTrigger, cosmosTriggerOptions } from '../src/host/change-feed-trigger';
import { loadRegistrations, Registration } from '../src/host/registrations';

const FUNCTIONS = ['counts-from-comments', 'counts-from-votes'];
/** Gives up this long after it was told where the writes ended. */
const DRAIN_LIMIT_MS = 60_000;

export interface CountsFollowResult {
  changes: number;
  lagged: number;
  lagP50Ms: number;
  lagP95Ms: number;
  lagMaxMs: number;
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
    if (outcome.value === 'written') parentWrites++;
    return outcome;
  };

  const lags: number[] = [];
  const seen = new Set<string>();
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
        const key = `${String(document.id)}@${at}`;
        if (seen.has(key)) continue;
        seen.add(key);
        lags.push(now - at);
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

  let expected: number | undefined;
  let toldAt = 0;
  process.on('message', (message: { writes?: number }) => {
    if (message.writes !== undefined) {
      expected = message.writes;
      toldAt = performance.now();
    }
  });
  // The triggers start from now: give them a poll to take their leases before the writes.
  await sleep(1_000);
  process.send!({ ready: true });
  for (;;) {
    await sleep(200);
    if (expected !== undefined && seen.size >= expected) break;
    if (expected !== undefined && performance.now() - toldAt > DRAIN_LIMIT_MS)
      throw new Error(`the functions saw ${seen.size} of ${expected} changes in time`);
  }
  const changes = seen.size;
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
  const sorted = lags.sort((a, b) => a - b);
  const result: CountsFollowResult = {
    changes,
    lagged: sorted.length,
    lagP50Ms: percentile(sorted, 0.5),
    lagP95Ms: percentile(sorted, 0.95),
    lagMaxMs: sorted.at(-1) ?? 0,
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

const percentile = (sorted: number[], q: number) =>
  sorted.length === 0 ? 0 : sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
