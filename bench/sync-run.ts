// The continuous sync in a process of its own, like the pipeline (bench/pipeline-run.ts), so
// its peak RSS is the sync's alone. Three modes, each a fresh process:
//   load    the full load with a slot set up before it (startMigration { sync: true })
//   drain   catch-up over a backlog written since (peak RSS, documents/s, where the time goes)
//   follow  a catch-up every second, as the timer does, until told where the writes ended;
//           the lag of each change is its commit time (PostgreSQL's, from the WAL) to the end
//           of the writes of the round that applied it
import { createLocalEngine } from '../src/cli/local-engine';
import { parseConfig } from '../src/shared/config/config';
import { getRun } from '../src/shared/migration/run-queries';
import { startMigration } from '../src/shared/migration/start-migration';
import { limitHeapGrowth } from '../src/shared/runtime/heap-growth';
import { addCatchUp, CatchUpResult, catchUp, emptyCatchUp } from '../src/shared/sync/catch-up';
import { ChangeStream, compareLsn } from '../src/shared/sync/replication';
import { SyncDeps } from '../src/shared/sync/run-round';
import { stopSync } from '../src/shared/sync/stop-sync';
import { samplePeakMemory } from './peak-memory';

/** Rounds one catch-up may take: a 100k backlog is about 25 rounds of SYNC_MAX_CHANGES. */
const MAX_ROUNDS = 500;
/** The timer's period in the follow mode. */
const PERIOD_MS = 1000;
/** The follow mode gives up this long after it was told where the writes ended. */
const FOLLOW_TAIL_MS = 60_000;
/** And in any case after this long. */
const FOLLOW_LIMIT_MS = 240_000;

export type SyncMode = 'load' | 'drain' | 'follow';

export interface SyncLoadResult {
  status: string;
  documents: number;
  seconds: number;
}

/** Wall time during which at least one call of the kind was in flight, in ms, and calls. */
export type RoundProfile = Record<ProfileBucket, { ms: number; calls: number }>;
type ProfileBucket = (typeof BUCKETS)[number];

/**
 * A round's parts: the slot's peek and pgoutput decoding; what Cosmos holds for the changed
 * rows before (one query by source id); the rows re-read
 * from PostgreSQL with their dependents; the writes; the round's state, lock and advance.
 */
const BUCKETS = [
  'peekDecode',
  'cosmosBeforeReads',
  'postgresReReads',
  'cosmosWrites',
  'bookkeeping',
] as const;

export interface SyncDrainResult {
  outcome: CatchUpResult['outcome'];
  rounds: number;
  changesRead: number;
  documentsUpserted: number;
  documentsDeleted: number;
  rowErrors: number;
  seconds: number;
  peakRssGrowthMb: number;
  peakHeapMb: number;
  profile: RoundProfile;
}

export interface SyncFollowResult {
  rounds: number;
  catchUps: number;
  changesRead: number;
  documents: number;
  rowErrors: number;
  lagP50Ms: number;
  lagP95Ms: number;
  lagMaxMs: number;
  lagged: number;
  catchUpP50Ms: number;
  catchUpMaxMs: number;
  peakRssGrowthMb: number;
  profile: RoundProfile;
}

async function main() {
  limitHeapGrowth();
  const [databaseUrl, endpoint, key, database, mode] = process.argv.slice(2);
  const engine = createLocalEngine(
    parseConfig({
      DATABASE_URL: databaseUrl,
      COSMOS_ENDPOINT: endpoint,
      COSMOS_KEY: key,
      COSMOS_DATABASE: database,
    }),
  );
  const profile = new Profile();
  const lag = new LagClock();
  const deps = instrumented(engine.syncDeps(), profile, lag);
  const memory = samplePeakMemory();
  let result: unknown;
  if (mode === 'load') {
    const started = performance.now();
    const { runId } = await startMigration(engine, {
      batchSize: engine.config.migration.batchSize,
      sync: true,
    });
    await engine.localQueue.idle();
    const seconds = (performance.now() - started) / 1000;
    const report = await getRun(engine, runId);
    // Nothing was written since: the first catch-up only confirms the sync now follows.
    const first = await catchUp(deps, MAX_ROUNDS);
    if (first.outcome !== 'caught-up') throw new Error(`first catch-up ended ${first.outcome}`);
    result = {
      status: report.status,
      documents: report.totals.documentsWritten,
      seconds,
    } satisfies SyncLoadResult;
  } else if (mode === 'drain') {
    const started = performance.now();
    const drained = await catchUp(deps, MAX_ROUNDS);
    const seconds = (performance.now() - started) / 1000;
    const peak = memory.takePeak();
    const totals = documentTotals(drained);
    result = {
      outcome: drained.outcome,
      rounds: drained.rounds,
      changesRead: drained.changesRead,
      ...totals,
      rowErrors: drained.rowErrors,
      seconds,
      peakRssGrowthMb: peak.rssGrowthMb,
      peakHeapMb: peak.heapMb,
      profile: profile.snapshot(),
    } satisfies SyncDrainResult;
  } else if (mode === 'follow') {
    result = await follow(deps, profile, lag, memory);
    await stopSync({ capture: engine.changeStream, syncStore: engine.syncStore });
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
  memory.stop();
  await engine.close();
  await new Promise<void>((resolve) => process.send!(result, () => resolve()));
  process.disconnect?.();
}

/** A catch-up every PERIOD_MS on the timer's grid (a late one skips ticks, as the timer does). */
async function follow(
  deps: SyncDeps,
  profile: Profile,
  lag: LagClock,
  memory: ReturnType<typeof samplePeakMemory>,
): Promise<SyncFollowResult> {
  let writesEndAt: string | undefined;
  let toldAt = 0;
  process.on('message', (message: { writesEndAt?: string }) => {
    if (message.writesEndAt) {
      writesEndAt = message.writesEndAt;
      toldAt = performance.now();
    }
  });
  process.send!({ ready: true });
  const total = emptyCatchUp();
  const durations: number[] = [];
  let confirmed: string | null = null;
  const started = performance.now();
  for (let tick = 0; ;) {
    const at = performance.now();
    const result = await catchUp(deps, MAX_ROUNDS);
    durations.push(performance.now() - at);
    if (result.outcome !== 'caught-up' && result.outcome !== 'round-limit')
      throw new Error(`catch-up ended ${result.outcome}`);
    addCatchUp(total, result);
    confirmed = result.confirmedLsn ?? confirmed;
    if (writesEndAt && confirmed && compareLsn(confirmed, writesEndAt) >= 0) break;
    const now = performance.now();
    if (now - started > FOLLOW_LIMIT_MS || (toldAt > 0 && now - toldAt > FOLLOW_TAIL_MS))
      throw new Error(`the sync did not reach ${writesEndAt ?? 'the end of the writes'} in time`);
    tick = Math.max(tick + 1, Math.ceil((now - started) / PERIOD_MS));
    await sleep(started + tick * PERIOD_MS - now);
  }
  const peak = memory.takePeak();
  const lags = lag.lags.sort((a, b) => a - b);
  const sorted = durations.sort((a, b) => a - b);
  const totals = documentTotals(total);
  return {
    rounds: total.rounds,
    catchUps: durations.length,
    changesRead: total.changesRead,
    documents: totals.documentsUpserted + totals.documentsDeleted,
    rowErrors: total.rowErrors,
    lagP50Ms: percentile(lags, 0.5),
    lagP95Ms: percentile(lags, 0.95),
    lagMaxMs: lags[lags.length - 1] ?? 0,
    lagged: lags.length,
    catchUpP50Ms: percentile(sorted, 0.5),
    catchUpMaxMs: sorted[sorted.length - 1] ?? 0,
    peakRssGrowthMb: peak.rssGrowthMb,
    profile: profile.snapshot(),
  };
}

function documentTotals(result: CatchUpResult) {
  const entities = Object.values(result.entities);
  return {
    documentsUpserted: entities.reduce((sum, e) => sum + e.documentsUpserted, 0),
    documentsDeleted: entities.reduce((sum, e) => sum + e.documentsDeleted, 0),
  };
}

const percentile = (sorted: number[], q: number) =>
  sorted.length === 0 ? 0 : sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/**
 * Commit times of the changes a round read; once the round has written them (it advances the
 * slot only after its last write), each change's lag is now minus its commit time.
 */
class LagClock {
  readonly lags: number[] = [];
  private pending: number[] = [];

  read(commitTimes: number[]): void {
    this.pending = commitTimes;
  }

  written(): void {
    const now = Date.now();
    for (const committed of this.pending) this.lags.push(now - committed);
    this.pending = [];
  }
}

/** Busy time per kind of call: overlapping calls of one kind count once. */
class Profile {
  private readonly buckets = new Map<
    ProfileBucket,
    { ms: number; calls: number; inFlight: number; since: number }
  >();

  /** `target` with each listed method timed into its buckets (one call may count in several). */
  wrap<T extends object>(
    target: T,
    methods: Partial<Record<keyof T, ProfileBucket | ProfileBucket[]>>,
  ): T {
    const wrapped = Object.create(target) as T;
    for (const [method, buckets] of Object.entries(methods) as [keyof T, ProfileBucket][]) {
      const original = target[method] as (...args: unknown[]) => Promise<unknown>;
      (wrapped as Record<keyof T, unknown>)[method] = (...args: unknown[]) =>
        this.time(buckets, () => original.apply(target, args));
    }
    return wrapped;
  }

  async time<R>(buckets: ProfileBucket | ProfileBucket[], work: () => Promise<R>): Promise<R> {
    const entries = [buckets].flat().map((bucket) => this.entry(bucket));
    for (const entry of entries) {
      if (entry.inFlight++ === 0) entry.since = performance.now();
      entry.calls++;
    }
    try {
      return await work();
    } finally {
      const now = performance.now();
      for (const entry of entries) if (--entry.inFlight === 0) entry.ms += now - entry.since;
    }
  }

  snapshot(): RoundProfile {
    return Object.fromEntries(
      BUCKETS.map((name) => {
        const entry = this.entry(name);
        return [name, { ms: Math.round(entry.ms), calls: entry.calls }];
      }),
    ) as RoundProfile;
  }

  private entry(bucket: ProfileBucket) {
    let entry = this.buckets.get(bucket);
    if (!entry) this.buckets.set(bucket, (entry = { ms: 0, calls: 0, inFlight: 0, since: 0 }));
    return entry;
  }
}

/** The engine's sync deps with every adapter call timed, and the stream telling the lag clock. */
function instrumented(deps: SyncDeps, profile: Profile, lag: LagClock): SyncDeps {
  const source = deps.stream;
  const stream: ChangeStream = {
    read: async (options) => {
      const batch = await profile.time('peekDecode', () => source.read(options));
      lag.read(batch.changes.map((change) => Date.parse(change.commitTime)));
      return batch;
    },
    advance: (lsn) => {
      lag.written();
      return profile.time('bookkeeping', () => source.advance(lsn));
    },
    status: (options) => source.status(options),
    tryLockRound: () => profile.time('bookkeeping', () => source.tryLockRound()),
  };
  return {
    ...deps,
    stream,
    source: profile.wrap(deps.source, {
      readRows: 'postgresReReads',
      relatedIds: 'postgresReReads',
    }),
    reader: profile.wrap(deps.reader, {
      documentsFor: 'cosmosBeforeReads',
    }),
    writer: profile.wrap(deps.writer, {
      upsertAll: 'cosmosWrites',
      deleteAll: 'cosmosWrites',
      deleteWithTombstones: 'cosmosWrites',
    }),
    syncStore: profile.wrap(deps.syncStore, { get: 'bookkeeping', save: 'bookkeeping' }),
    runs: profile.wrap(deps.runs, { getRun: 'bookkeeping', getBatches: 'bookkeeping' }),
  };
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
