// The application data library's stage router under the traffic generator, in a process of
// its own (forked by bench/app-data-traffic.ts): a full load of the seeded source into a fresh
// Cosmos database, then, on that data, the same open-loop Social Pulse mix through the router
// in each cutover stage in turn (postgres-only first, the baseline), the stage set by writing
// the flags file the router reads every second. Every call the traffic makes to the router is
// timed here: the traffic's summary has per-store figures but no latency per operation.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { trafficDepsOf } from '../src/cli/commands/traffic';
import { createLocalEngine } from '../src/cli/local-engine';
import { AppData } from '../src/shared/app-data/stage-router';
import { parseConfig } from '../src/shared/config/config';
import { readPercentFor, Stage, stageWrites } from '../src/shared/cutover/stages';
import { FileFlagStore } from '../src/shared/flags/file-flag-store';
import { getRun } from '../src/shared/migration/run-queries';
import { startMigration } from '../src/shared/migration/start-migration';
import { runTraffic, TrafficDeps } from '../src/shared/traffic/run-traffic';
import { StoreFigures } from '../src/shared/traffic/store-figures';

/** The stages measured, in order; the first is the baseline. */
export const ROUTER_STAGES = [
  'postgres-only',
  'dual-write',
  'shadow-reads',
  'cosmos-reads',
] as const satisfies readonly Stage[];
export type RouterStage = (typeof ROUTER_STAGES)[number];

export interface RouterLoad {
  rate: number;
  maxInFlight: number;
  secondsPerStage: number;
  users: number;
  seed: number;
  /** Cosmos's share of reads in cosmos-reads. */
  cosmosReadPercent: number;
  batchSize: number;
}

/** One router call's latency as the application sees it (its store calls and the routing). */
export interface CallLatency {
  count: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
}

export interface RouterStageFigures {
  stage: RouterStage;
  /** The stage the flags were in when the traffic started and ended (both this one). */
  stageSeen: { atStart: string | null; atEnd: string | null };
  activeSeconds: number;
  /** Operations finished per second of active time (the traffic summary's `achievedRate`). */
  opsPerSec: number;
  scheduled: number;
  completed: number;
  /** Due with maxInFlight already in flight: not started. */
  dropped: number;
  clientErrors: number;
  serverErrors: number;
  /** Still unfinished after the traffic's drain. */
  inFlight: number;
  calls: CallLatency;
  readCalls: CallLatency;
  writeCalls: CallLatency;
  stores: Record<'postgres' | 'cosmos', StoreFigures>;
}

export interface RouterRunResult {
  loadedDocuments: number;
  loadSeconds: number;
  stages: RouterStageFigures[];
}

/** Waited after each flag write: the router reads the flags at most once a second. */
const FLAG_SETTLE_MS = 2_000;
/** Router calls timed per stage at most (a stage at 300 operations/s for 10 s makes ~3,000). */
const MAX_SAMPLES = 200_000;
const WRITES = new Set([
  'createUser',
  'updateUser',
  'createPost',
  'updatePost',
  'deletePost',
  'createComment',
  'updateComment',
  'deleteComment',
  'vote',
  'removeVote',
]);

async function main() {
  const [databaseUrl, endpoint, key, database, loadJson] = process.argv.slice(2);
  const load = JSON.parse(loadJson!) as RouterLoad;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cosmos-migration-router-'));
  const flagsFile = path.join(dir, 'feature-flags.json');
  const engine = createLocalEngine(
    parseConfig({
      DATABASE_URL: databaseUrl,
      COSMOS_ENDPOINT: endpoint,
      COSMOS_KEY: key,
      COSMOS_DATABASE: database,
      FEATURE_FLAGS_FILE: flagsFile,
      APP_FLAGS_REFRESH: '1',
    }),
  );
  try {
    const started = performance.now();
    const { runId } = await startMigration(engine, { batchSize: load.batchSize, sync: false });
    await engine.localQueue.idle();
    const loadSeconds = (performance.now() - started) / 1000;
    const report = await getRun(engine, runId);
    if (report.status !== 'completed') throw new Error(`the load ended ${report.status}`);

    const flags = new FileFlagStore(flagsFile);
    const timings = { all: [] as number[], reads: [] as number[], writes: [] as number[] };
    // The traffic waits for the router's background work once after its setup reads (then
    // takes its per-store baseline) and once at the end: the calls timed start there too.
    let setupDone = false;
    const traffic = trafficDepsOf(engine);
    const deps: TrafficDeps = {
      ...timedDeps(traffic, timings),
      settled: async () => {
        await traffic.settled?.();
        if (setupDone) return;
        setupDone = true;
        for (const list of Object.values(timings)) list.length = 0;
      },
    };
    const stages: RouterStageFigures[] = [];
    for (const stage of ROUTER_STAGES) {
      await flags.write(
        stageWrites(await flags.read(), stage, readPercentFor(stage, load.cosmosReadPercent, 0)),
      );
      await sleep(FLAG_SETTLE_MS);
      setupDone = false;
      const summary = await runTraffic(deps, {
        rate: load.rate,
        durationMs: load.secondsPerStage * 1000,
        users: load.users,
        seed: load.seed,
        maxInFlight: load.maxInFlight,
      });
      if (summary.stage.atStart !== stage || summary.stage.atEnd !== stage)
        throw new Error(`traffic for ${stage} ran in ${JSON.stringify(summary.stage)}`);
      const stores = summary.stores!;
      checkRouting(stage, stores);
      const op = summary.operations;
      stages.push({
        stage,
        stageSeen: summary.stage,
        activeSeconds: summary.activeMs / 1000,
        opsPerSec: summary.achievedRate,
        scheduled: op.scheduled,
        completed: op.completed,
        dropped: op.dropped,
        clientErrors: op.clientErrors,
        serverErrors: op.serverErrors,
        inFlight: op.inFlight,
        calls: latency(timings.all),
        readCalls: latency(timings.reads),
        writeCalls: latency(timings.writes),
        stores,
      });
      if (summary.errors.samples.length > 0)
        process.stderr.write(
          `app-data-run: ${stage}: ${summary.errors.samples.map((s) => `${s.kind} [${s.code}] ${s.message}`).join('; ')}\n`,
        );
    }
    const result: RouterRunResult = {
      loadedDocuments: report.totals.documentsWritten,
      loadSeconds,
      stages,
    };
    await new Promise<void>((resolve) => process.send!(result, () => resolve()));
  } finally {
    await engine.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  process.disconnect?.();
}

/** The stage's flags reached the router: each store got the calls the stage gives it. */
function checkRouting(stage: RouterStage, stores: Record<'postgres' | 'cosmos', StoreFigures>) {
  const shadows = stores.postgres.shadowReads + stores.cosmos.shadowReads;
  const ok = {
    'postgres-only': stores.cosmos.count === 0 && shadows === 0,
    'dual-write': stores.cosmos.count > 0 && shadows === 0,
    'shadow-reads': stores.cosmos.shadowReads > 0,
    'cosmos-reads': stores.postgres.shadowReads > 0,
  }[stage];
  if (!ok) throw new Error(`the router did not route as ${stage}: ${JSON.stringify(stores)}`);
}

/** The deps with every call of the router's data timed (resolved or rejected alike). */
function timedDeps(
  deps: TrafficDeps,
  timings: { all: number[]; reads: number[]; writes: number[] },
): TrafficDeps {
  const time = (name: string, call: () => Promise<unknown>) => {
    const started = performance.now();
    const record = () => {
      if (timings.all.length >= MAX_SAMPLES) return;
      const ms = performance.now() - started;
      timings.all.push(ms);
      (WRITES.has(name) ? timings.writes : timings.reads).push(ms);
    };
    const pending = call();
    pending.then(record, record);
    return pending;
  };
  return {
    ...deps,
    data: (userId) => {
      const data = deps.data(userId);
      return Object.fromEntries(
        Object.entries(data).map(([name, method]) => [
          name,
          (...args: unknown[]) =>
            time(name, () => (method as (...a: unknown[]) => Promise<unknown>)(...args)),
        ]),
      ) as unknown as AppData;
    },
  };
}

function latency(samples: number[]): CallLatency {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) =>
    sorted.length === 0 ? 0 : sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!;
  return { count: sorted.length, p50Ms: at(0.5), p95Ms: at(0.95), p99Ms: at(0.99) };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
