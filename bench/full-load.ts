// npm run bench [-- --json]: pipeline vs. raw sink ceiling vs. naive baseline, full
// validation vs. pipeline, the continuous sync (backlog drain vs. pipeline, lag under a
// steady write load, memory from a 10k to a 100k backlog), and the counts' change-feed
// functions under the application's writes into Cosmos (lag, parent writes per change), and
// the application data library's stage router per cutover stage under the traffic generator
// (bench/app-data-traffic.ts; alone: npx tsx bench/app-data-traffic.ts), measured in one run.
import { ChildProcess, fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CosmosClient } from '@azure/cosmos';
import pg from 'pg';
import { parseConfig } from '../src/shared/config/config';
import { createCosmosClient } from '../src/shared/cosmos/client';
import { initTarget } from '../src/shared/cosmos/target';
import { startEmbeddedPostgres } from '../src/shared/local/embedded-postgres';
import { startLocalCosmos } from '../src/shared/local/local-cosmos';
import { createSourcePool } from '../src/shared/postgres/pool';
import { initSource } from '../src/shared/source/schema';
import { seedSource } from '../src/shared/source/seed';
import { RouterFigures, routerLines, routerPhase, routerSummary } from './app-data-traffic';
import { CountsFigures, countsPhase } from './counts-traffic';
import { naiveLoad } from './naive';
import type { SyncDrainResult, SyncFollowResult, SyncLoadResult } from './sync-run';
import { flushedLsn, installTraffic, trafficPool, writeTraffic } from './sync-traffic';

const json = process.argv.includes('--json');
const log = (line: string) => process.stderr.write(`${line}\n`);
/** About 13 source rows per seeded user. */
const USERS_FOR = (rows: number) => Math.round(rows / 13);

interface SinkResult {
  documents: number;
  seconds: number;
}

interface PipelineResult {
  status: string;
  documents: number;
  rows: number;
  lostRows: number;
  seconds: number;
  peakRssGrowthMb: number;
  peakHeapMb: number;
  /** A full validation of what the pipeline wrote, right after it. */
  validation: {
    ready: boolean;
    consistencyRate: number;
    checked: number;
    seconds: number;
    peakRssGrowthMb: number;
  };
}

async function main() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cosmos-migration-bench-'));
  fs.chmodSync(root, 0o755);
  const postgres = await startEmbeddedPostgres({ dataDir: path.join(root, 'postgres') });
  const cosmos = await startLocalCosmos();
  const settings = (database: string, url: string) =>
    parseConfig({
      DATABASE_URL: url,
      COSMOS_ENDPOINT: cosmos.endpoint,
      COSMOS_KEY: cosmos.key,
      COSMOS_DATABASE: database,
    });
  const base = settings('x', postgres.url);
  const client = createCosmosClient(base.cosmos);
  const engineArgs = (url: string, database: string) => [
    url,
    cosmos.endpoint,
    cosmos.key,
    database,
  ];
  const results: Record<
    string,
    {
      rows: number;
      sinkDocsPerSec: number;
      pipelineDocsPerSec: number;
      peakRssGrowthMb: number;
      validateDocsPerSec: number;
      validateRssGrowthMb: number;
    }
  > = {};
  let naiveDocsPerSec = 0;
  const urls: Record<string, string> = {};
  let sync: SyncFigures | undefined;
  let router: RouterFigures | undefined;
  try {
    for (const [label, targetRows] of [
      ['10k', 10_000],
      ['100k', 100_000],
      // Three times larger again: shows whether memory keeps growing with the table.
      ['300k', 300_000],
    ] as const) {
      const url = await postgres.createDatabase(`bench_${label}`);
      urls[label] = url;
      const seedPool = new pg.Pool({ connectionString: url });
      await initSource(seedPool);
      const seeded = await seedSource(seedPool, { users: USERS_FOR(targetRows), seed: 1 });
      await seedPool.end();
      log(`${label}: seeded ${seeded.total} rows`);

      // Sink and pipeline each run in a fresh process of their own, alternating, best time
      // kept: one run is noisy on a shared 2-core machine.
      let sink: SinkResult | undefined;
      let pipeline: PipelineResult | undefined;
      for (let rep = 0; rep < REPETITIONS[label]; rep++) {
        const sinkDatabase = `sink_${label}_${rep}`;
        await initTarget(client, sinkDatabase, 'manual');
        const written = await runChild<SinkResult>('sink-run.ts', engineArgs(url, sinkDatabase));
        // The local server keeps everything in memory: each phase starts from an empty server.
        await client.database(sinkDatabase).delete();
        log(`${label}: sink ${written.documents} docs in ${written.seconds.toFixed(1)} s`);
        sink = sink && sink.seconds <= written.seconds ? sink : written;

        const pipelineDatabase = `pipeline_${label}_${rep}`;
        await initTarget(client, pipelineDatabase, 'manual');
        const run = await runChild<PipelineResult>(
          'pipeline-run.ts',
          engineArgs(url, pipelineDatabase),
        );
        await client.database(pipelineDatabase).delete();
        if (run.status !== 'completed' || run.lostRows !== 0)
          throw new Error(`pipeline ${label} ended ${run.status}`);
        if (run.documents !== written.documents)
          throw new Error(
            `pipeline wrote ${run.documents} documents, the sink ${written.documents}`,
          );
        if (!run.validation.ready || run.validation.checked !== run.documents)
          throw new Error(
            `validation ${label}: rate ${run.validation.consistencyRate}, ${run.validation.checked} checked`,
          );
        log(
          `${label}: pipeline ${run.documents} docs in ${run.seconds.toFixed(1)} s, peak RSS +${run.peakRssGrowthMb.toFixed(1)} MB, peak heap ${run.peakHeapMb.toFixed(1)} MB; ` +
            `full validation in ${run.validation.seconds.toFixed(1)} s, peak RSS +${run.validation.peakRssGrowthMb.toFixed(1)} MB`,
        );
        pipeline = pipeline ? best(pipeline, run) : run;
      }
      pipeline = pipeline!;
      sink = sink!;
      const { validation } = pipeline;
      results[label] = {
        rows: seeded.total,
        sinkDocsPerSec: sink.documents / sink.seconds,
        pipelineDocsPerSec: pipeline.documents / pipeline.seconds,
        peakRssGrowthMb: pipeline.peakRssGrowthMb,
        validateDocsPerSec: validation.checked / validation.seconds,
        validateRssGrowthMb: validation.peakRssGrowthMb,
      };

      if (label === '10k') {
        await initTarget(client, 'naive_10k', 'manual');
        const pool = createSourcePool(url, { max: 4 });
        const started = performance.now();
        const written = await naiveLoad(pool, (name) =>
          client.database('naive_10k').container(name),
        );
        if (written !== pipeline.documents)
          throw new Error(`naive load wrote ${written} of ${pipeline.documents} documents`);
        naiveDocsPerSec = written / ((performance.now() - started) / 1000);
        await pool.end();
        await client.database('naive_10k').delete();
        log(`10k: naive ${written} docs at ${naiveDocsPerSec.toFixed(0)} docs/s`);
      }
    }
    // Last, on the 100k source (its pipeline runs are done): the backlogs change its rows.
    sync = await syncPhases(
      client,
      urls['100k']!,
      (database) => engineArgs(urls['100k']!, database),
      (database) => ({
        DATABASE_URL: urls['100k']!,
        COSMOS_ENDPOINT: cosmos.endpoint,
        COSMOS_KEY: cosmos.key,
        COSMOS_DATABASE: database,
      }),
    );
    // On a small source of its own: the traffic writes into it.
    router = await routerPhase(client, await postgres.createDatabase('bench_router'), cosmos);
  } finally {
    client.dispose();
    await cosmos.stop();
    await postgres.stop();
    fs.rmSync(root, { recursive: true, force: true });
  }

  const large = results['100k']!;
  const small = results['10k']!;
  const largest = results['300k']!;
  const syncFigures = sync!;
  const backlog = syncFigures.drains['100k'];
  const summary = {
    sinkDocsPerSec: Math.round(large.sinkDocsPerSec),
    pipelineDocsPerSec: Math.round(large.pipelineDocsPerSec),
    naiveDocsPerSec: Math.round(naiveDocsPerSec),
    pipelineToSink: round(large.pipelineDocsPerSec / large.sinkDocsPerSec),
    pipelineToSinkAt10k: round(small.pipelineDocsPerSec / small.sinkDocsPerSec),
    speedupVsNaive: round(small.pipelineDocsPerSec / naiveDocsPerSec),
    rssGrowthMb: round(large.peakRssGrowthMb - small.peakRssGrowthMb),
    rssGrowthMbFrom100kTo300k: round(largest.peakRssGrowthMb - large.peakRssGrowthMb),
    pipelineToSinkAt300k: round(largest.pipelineDocsPerSec / largest.sinkDocsPerSec),
    validateDocsPerSec: Math.round(large.validateDocsPerSec),
    validateToMigrate: round(large.validateDocsPerSec / large.pipelineDocsPerSec),
    validateRssGrowthMb: round(large.validateRssGrowthMb - small.validateRssGrowthMb),
    syncDocsPerSec: Math.round(syncFigures.drainDocsPerSec),
    syncToPipeline: round(syncFigures.drainDocsPerSec / large.pipelineDocsPerSec),
    syncLagP50Ms: Math.round(syncFigures.follow.lagP50Ms),
    syncLagP95Ms: Math.round(syncFigures.follow.lagP95Ms),
    syncRssGrowthMb: round(backlog.peakRssGrowthMb - syncFigures.drains['10k'].peakRssGrowthMb),
    syncBacklog: {
      changes: backlog.changesRead,
      documents: backlog.documentsUpserted + backlog.documentsDeleted,
      seconds: round(backlog.seconds),
      rounds: backlog.rounds,
      busySeconds: busySeconds(backlog.profile),
    },
    syncSteadyLoad: {
      changesPerSec: Math.round(syncFigures.steadyChangesPerSec),
      seconds: round(syncFigures.steadySeconds),
      changes: syncFigures.follow.changesRead,
      lagMaxMs: Math.round(syncFigures.follow.lagMaxMs),
      catchUps: syncFigures.follow.catchUps,
      catchUpP50Ms: Math.round(syncFigures.follow.catchUpP50Ms),
      busySeconds: busySeconds(syncFigures.follow.profile),
    },
    syncTargets: SYNC_TARGETS,
    countsLagP50Ms: Math.round(syncFigures.counts.lagP50Ms),
    countsLagP95Ms: Math.round(syncFigures.counts.lagP95Ms),
    countsWritesPerChange: round(syncFigures.counts.writesPerChange),
    countsWritesForUnchangedBatch: syncFigures.counts.writesForUnchangedBatch,
    countsLoad: {
      writesPerSec: Math.round(syncFigures.counts.writesPerSec),
      seconds: round(syncFigures.counts.seconds),
      writes: syncFigures.counts.writes,
      changesDelivered: syncFigures.counts.changes,
      parentWrites: syncFigures.counts.parentWrites,
      invocations: syncFigures.counts.invocations,
      lagMaxMs: Math.round(syncFigures.counts.lagMaxMs),
      unchangedBatchSize: syncFigures.counts.unchangedBatchSize,
    },
    countsTargets: COUNTS_TARGETS,
    ...routerSummary(router!),
    sourceRows: { '10k': small.rows, '100k': large.rows, '300k': largest.rows },
    concurrency: {
      batches: base.migration.batchConcurrency,
      bulkCallsPerBatch: base.migration.writeConcurrency,
    },
  };
  if (json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  else {
    log('');
    log(`sink ceiling        ${summary.sinkDocsPerSec} docs/s (100k)`);
    log(
      `pipeline            ${summary.pipelineDocsPerSec} docs/s (100k)  = ${summary.pipelineToSink} x sink (10k: ${summary.pipelineToSinkAt10k} x)`,
    );
    log(
      `naive baseline      ${summary.naiveDocsPerSec} docs/s (10k)   pipeline is ${summary.speedupVsNaive} x faster`,
    );
    log(
      `engine peak RSS growth 10k -> 100k: ${summary.rssGrowthMb} MB; 100k -> 300k: ${summary.rssGrowthMbFrom100kTo300k} MB (pipeline ${summary.pipelineToSinkAt300k} x sink at 300k)`,
    );
    log(
      `full validation     ${summary.validateDocsPerSec} docs/s (100k)  = ${summary.validateToMigrate} x pipeline; RSS growth 10k -> 100k: ${summary.validateRssGrowthMb} MB`,
    );
    const meets = (ok: boolean) => (ok ? 'met' : 'MISSED');
    log(
      `sync backlog drain  ${summary.syncDocsPerSec} docs/s (${summary.syncBacklog.changes} changes)  = ${summary.syncToPipeline} x pipeline (target >= ${SYNC_TARGETS.syncToPipeline}: ${meets(summary.syncToPipeline >= SYNC_TARGETS.syncToPipeline)})`,
    );
    log(
      `sync lag            p50 ${summary.syncLagP50Ms} ms, p95 ${summary.syncLagP95Ms} ms at ${summary.syncSteadyLoad.changesPerSec} changes/s, a catch-up every 1 s (target p95 <= ${SYNC_TARGETS.syncLagP95Ms} ms: ${meets(summary.syncLagP95Ms <= SYNC_TARGETS.syncLagP95Ms)})`,
    );
    log(
      `sync RSS growth     10k -> 100k backlog: ${summary.syncRssGrowthMb} MB (target <= ${SYNC_TARGETS.syncRssGrowthMb} MB: ${meets(summary.syncRssGrowthMb <= SYNC_TARGETS.syncRssGrowthMb)})`,
    );
    log(
      `counts lag          p50 ${summary.countsLagP50Ms} ms, p95 ${summary.countsLagP95Ms} ms at ${summary.countsLoad.writesPerSec} writes/s into Cosmos (target p95 <= ${COUNTS_TARGETS.countsLagP95Ms} ms: ${meets(summary.countsLagP95Ms <= COUNTS_TARGETS.countsLagP95Ms)})`,
    );
    log(
      `counts writes       ${summary.countsWritesPerChange} parent writes per change (target <= ${COUNTS_TARGETS.countsWritesPerChange}: ${meets(summary.countsWritesPerChange <= COUNTS_TARGETS.countsWritesPerChange)}); ${summary.countsWritesForUnchangedBatch} for a batch of ${summary.countsLoad.unchangedBatchSize} that changes no count (target 0: ${meets(summary.countsWritesForUnchangedBatch === 0)})`,
    );
    for (const line of routerLines(summary)) log(line);
  }
}

const round = (n: number) => Math.round(n * 100) / 100;

/**
 * Most runs where the ratio is judged (100k); one run varies by ±15 % on a shared 2-core VM.
 * One at 300k (its memory figure is a peak, its ratio a side note): the sync phases need the
 * time, and the whole bench stays under 10 minutes.
 */
const REPETITIONS = { '10k': 2, '100k': 5, '300k': 1 } as const;

/** The faster time of each phase; memory keeps the higher peak, so repetition cannot hide growth. */
function best(a: PipelineResult, b: PipelineResult): PipelineResult {
  return {
    ...a,
    seconds: Math.min(a.seconds, b.seconds),
    peakRssGrowthMb: Math.max(a.peakRssGrowthMb, b.peakRssGrowthMb),
    peakHeapMb: Math.max(a.peakHeapMb, b.peakHeapMb),
    validation: {
      ...a.validation,
      seconds: Math.min(a.validation.seconds, b.validation.seconds),
      peakRssGrowthMb: Math.max(a.validation.peakRssGrowthMb, b.validation.peakRssGrowthMb),
    },
  };
}

/** Runs a bench/*-run.ts script in a fresh process and resolves with the result it sends. */
function runChild<T>(script: string, args: string[]): Promise<T> {
  return nextMessage<T>(forkChild(script, args), script);
}

function forkChild(script: string, args: string[]): ChildProcess {
  return fork(path.join(__dirname, script), args, {
    execArgv: [
      '--import',
      'tsx',
      '--expose-gc',
      ...(process.env.BENCH_CPU_PROFILE ? ['--cpu-prof', '--cpu-prof-dir=/tmp/prof'] : []),
    ],
  });
}

/** The child's next message; an exit or CHILD_TIMEOUT_MS first is a failure. */
function nextMessage<T>(child: ChildProcess, script: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      done(new Error(`${script} sent nothing in ${CHILD_TIMEOUT_MS / 1000} s`));
    }, CHILD_TIMEOUT_MS);
    const onMessage = (message: unknown) => done(undefined, message as T);
    const onExit = (code: number | null) => done(new Error(`${script} exited with ${code}`));
    const done = (error?: Error, message?: T) => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve(message!);
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

/** No phase's child takes this long; one that does is stuck. */
const CHILD_TIMEOUT_MS = 300_000;

const SYNC_TARGETS = { syncToPipeline: 0.6, syncLagP95Ms: 5000, syncRssGrowthMb: 64 } as const;
/** Backlogs drained, each by a fresh process: the larger is the documents/s figure too. */
const SYNC_BACKLOGS = { '10k': 10_000, '100k': 100_000 } as const;
/** The steady write load of the lag phase: changes/s for this long, written every 100 ms. */
const STEADY_CHANGES_PER_SEC = 500;
const STEADY_SECONDS = 60;
const STEADY_TICK_MS = 100;

/** The application's writes into Cosmos (dual-write on) that the counts functions follow. */
const COUNTS_LOAD = { writesPerSec: 500, seconds: 60, tickMs: 100 } as const;
const COUNTS_TARGETS = { countsLagP95Ms: 3000, countsWritesPerChange: 1.0 } as const;

interface SyncFigures {
  counts: CountsFigures;
  drainDocsPerSec: number;
  drains: Record<keyof typeof SYNC_BACKLOGS, SyncDrainResult>;
  follow: SyncFollowResult;
  steadyChangesPerSec: number;
  steadySeconds: number;
}

/**
 * The sync over one target: a full load with its slot, then each backlog written (after the
 * load finished) and drained by a fresh process, then the steady load with a catch-up every
 * second. The application's writes come from this process, the sync's work from the child.
 * Last, on the synced target, the counts functions follow the application's writes into Cosmos.
 */
async function syncPhases(
  client: CosmosClient,
  url: string,
  engineArgs: (database: string) => string[],
  countsEnv: (database: string) => Record<string, string>,
): Promise<SyncFigures> {
  const database = 'sync_100k';
  await initTarget(client, database, 'manual');
  const args = (mode: string) => [...engineArgs(database), mode];
  const pool = trafficPool(url);
  try {
    const load = await runChild<SyncLoadResult>('sync-run.ts', args('load'));
    if (load.status !== 'completed') throw new Error(`sync load ended ${load.status}`);
    log(`sync: full load with a slot, ${load.documents} docs in ${load.seconds.toFixed(1)} s`);
    await installTraffic(pool);

    const drains = {} as SyncFigures['drains'];
    for (const [label, changes] of Object.entries(SYNC_BACKLOGS) as [
      keyof typeof SYNC_BACKLOGS,
      number,
    ][]) {
      const started = performance.now();
      const made = await writeTraffic(pool, changes);
      const writeSeconds = (performance.now() - started) / 1000;
      const drain = await runChild<SyncDrainResult>('sync-run.ts', args('drain'));
      if (drain.outcome !== 'caught-up')
        throw new Error(`sync drain ${label} ended ${drain.outcome}`);
      if (drain.changesRead < made)
        throw new Error(`sync drain ${label} read ${drain.changesRead} of ${made} changes`);
      const documents = drain.documentsUpserted + drain.documentsDeleted;
      log(
        `sync: ${label} backlog (${made} changes written in ${writeSeconds.toFixed(1)} s) drained: ${drain.changesRead} changes, ` +
          `${drain.documentsUpserted} upserted + ${drain.documentsDeleted} deleted docs in ${drain.seconds.toFixed(1)} s ` +
          `(${Math.round(documents / drain.seconds)} docs/s, ${drain.rounds} rounds, ${drain.rowErrors} row errors), ` +
          `peak RSS +${drain.peakRssGrowthMb.toFixed(1)} MB, peak heap ${drain.peakHeapMb.toFixed(1)} MB`,
      );
      log(`sync: ${label} busy time by kind of call: ${describeProfile(drain.profile)}`);
      drains[label] = drain;
    }

    const child = forkChild('sync-run.ts', args('follow'));
    await nextMessage(child, 'sync-run.ts follow');
    const result = nextMessage<SyncFollowResult>(child, 'sync-run.ts follow');
    result.catch(() => undefined);
    const started = performance.now();
    let made = 0;
    for (let tick = 1; tick <= (STEADY_SECONDS * 1000) / STEADY_TICK_MS; tick++) {
      await sleep(started + tick * STEADY_TICK_MS - performance.now());
      const due = Math.round((STEADY_CHANGES_PER_SEC * tick * STEADY_TICK_MS) / 1000);
      if (due > made) made += await writeTraffic(pool, due - made);
    }
    const steadySeconds = (performance.now() - started) / 1000;
    child.send({ writesEndAt: await flushedLsn(pool) });
    const follow = await result;
    if (follow.changesRead < made)
      throw new Error(`sync follow read ${follow.changesRead} of ${made} changes`);
    const steadyChangesPerSec = made / steadySeconds;
    log(
      `sync: steady load ${made} changes in ${steadySeconds.toFixed(1)} s (${Math.round(steadyChangesPerSec)} changes/s): ` +
        `${follow.catchUps} catch-ups (p50 ${Math.round(follow.catchUpP50Ms)} ms, max ${Math.round(follow.catchUpMaxMs)} ms), ` +
        `${follow.rounds} rounds, ${follow.changesRead} changes, ${follow.documents} docs; ` +
        `lag p50 ${Math.round(follow.lagP50Ms)} ms, p95 ${Math.round(follow.lagP95Ms)} ms, max ${Math.round(follow.lagMaxMs)} ms over ${follow.lagged} changes`,
    );
    log(`sync: steady busy time by kind of call: ${describeProfile(follow.profile)}`);
    const counts = await countsPhase(client, database, countsEnv(database), COUNTS_LOAD);
    log(
      `counts: ${counts.writes} writes into Cosmos in ${counts.seconds.toFixed(1)} s, ${counts.changes} versions delivered ` +
        `in ${counts.invocations} invocations, ${counts.parentWrites} parent writes; lag p50 ${Math.round(counts.lagP50Ms)} ms, ` +
        `p95 ${Math.round(counts.lagP95Ms)} ms, max ${Math.round(counts.lagMaxMs)} ms over ${counts.lagged} writes`,
    );
    const large = drains['100k'];
    return {
      counts,
      drainDocsPerSec: (large.documentsUpserted + large.documentsDeleted) / large.seconds,
      drains,
      follow,
      steadyChangesPerSec,
      steadySeconds,
    };
  } finally {
    await pool.end();
    await client
      .database(database)
      .delete()
      .catch(() => undefined);
  }
}

const describeProfile = (profile: SyncDrainResult['profile']) =>
  Object.entries(profile)
    .map(([name, { ms, calls }]) => `${name} ${(ms / 1000).toFixed(1)} s (${calls} calls)`)
    .join(', ');

const busySeconds = (profile: SyncDrainResult['profile']) =>
  Object.fromEntries(Object.entries(profile).map(([name, { ms }]) => [name, round(ms / 1000)]));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
