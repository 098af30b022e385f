// npm run bench [-- --json]: pipeline vs. raw sink ceiling vs. naive baseline, and full
// validation vs. pipeline, measured in one run.
import { fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { parseConfig } from '../src/shared/config/config';
import { createCosmosClient } from '../src/shared/cosmos/client';
import { initTarget } from '../src/shared/cosmos/target';
import { startEmbeddedPostgres } from '../src/shared/local/embedded-postgres';
import { startLocalCosmos } from '../src/shared/local/local-cosmos';
import { createSourcePool } from '../src/shared/postgres/pool';
import { initSource } from '../src/shared/source/schema';
import { seedSource } from '../src/shared/source/seed';
import { naiveLoad } from './naive';

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
  try {
    for (const [label, targetRows] of [
      ['10k', 10_000],
      ['100k', 100_000],
      // Three times larger again: shows whether memory keeps growing with the table.
      ['300k', 300_000],
    ] as const) {
      const url = await postgres.createDatabase(`bench_${label}`);
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
  } finally {
    client.dispose();
    await cosmos.stop();
    await postgres.stop();
    fs.rmSync(root, { recursive: true, force: true });
  }

  const large = results['100k']!;
  const small = results['10k']!;
  const largest = results['300k']!;
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
  }
}

const round = (n: number) => Math.round(n * 100) / 100;

/** Most runs where the ratio is judged (100k); one run varies by ±15 % on a shared 2-core VM. */
const REPETITIONS = { '10k': 2, '100k': 5, '300k': 2 } as const;

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
  return new Promise((resolve, reject) => {
    const child = fork(path.join(__dirname, script), args, {
      execArgv: [
        '--import',
        'tsx',
        '--expose-gc',
        ...(process.env.BENCH_CPU_PROFILE ? ['--cpu-prof', '--cpu-prof-dir=/tmp/prof'] : []),
      ],
    });
    child.once('message', (message) => resolve(message as T));
    child.once('exit', (code) =>
      code === 0 ? undefined : reject(new Error(`${script} exited with ${code}`)),
    );
  });
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
