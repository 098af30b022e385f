// The stage router's cost per cutover stage (npm run bench, last phase): a small seeded source,
// fully loaded into a fresh Cosmos database, then the traffic generator through the router at
// a fixed rate in postgres-only (the baseline), dual-write, shadow-reads and cosmos-reads, in
// a process of its own (bench/app-data-run.ts). Alone, on servers of its own:
//   npx tsx bench/app-data-traffic.ts [--json]
import { fork } from 'node:child_process';
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
import { initSource } from '../src/shared/source/schema';
import { seedSource } from '../src/shared/source/seed';
import type { RouterLoad, RouterRunResult, RouterStageFigures } from './app-data-run';

/** A fixed, high rate on this 2-core machine: the stages that cost more drop or lag. */
export const ROUTER_LOAD: RouterLoad = {
  rate: 300,
  maxInFlight: 32,
  secondsPerStage: 10,
  users: 200,
  seed: 5,
  cosmosReadPercent: 100,
  batchSize: 500,
};
/** About 13 source rows per user. */
const ROUTER_SOURCE_USERS = 1_000;
/** The child's load and four stages take about a minute; one that takes this long is stuck. */
const ROUTER_TIMEOUT_MS = 300_000;

export interface RouterFigures extends RouterRunResult {
  sourceRows: number;
}

const log = (line: string) => process.stderr.write(`${line}\n`);

/**
 * Seeds `url` (an empty database), creates `database` in Cosmos, runs bench/app-data-run.ts on
 * them and resolves with its figures; the Cosmos database is deleted afterwards.
 */
export async function routerPhase(
  client: CosmosClient,
  url: string,
  cosmos: { endpoint: string; key: string },
  database = 'router_bench',
  load: RouterLoad = ROUTER_LOAD,
): Promise<RouterFigures> {
  const pool = new pg.Pool({ connectionString: url });
  let sourceRows: number;
  try {
    await initSource(pool);
    sourceRows = (await seedSource(pool, { users: ROUTER_SOURCE_USERS, seed: 3 })).total;
  } finally {
    await pool.end();
  }
  await initTarget(client, database, 'manual');
  try {
    const child = fork(
      path.join(__dirname, 'app-data-run.ts'),
      [url, cosmos.endpoint, cosmos.key, database, JSON.stringify(load)],
      { execArgv: ['--import', 'tsx'] },
    );
    const result = await new Promise<RouterRunResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`app-data-run.ts sent nothing in ${ROUTER_TIMEOUT_MS / 1000} s`));
      }, ROUTER_TIMEOUT_MS);
      child.once('message', (message) => {
        clearTimeout(timer);
        resolve(message as RouterRunResult);
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`app-data-run.ts exited with ${code}`));
      });
    });
    for (const stage of result.stages)
      log(
        `router: ${stage.stage}: ${stage.completed} operations in ${stage.activeSeconds.toFixed(1)} s ` +
          `(${stage.opsPerSec}/s of ${load.rate}, ${stage.dropped} dropped), ${stage.calls.count} router calls ` +
          `p50 ${ms(stage.calls.p50Ms)} p95 ${ms(stage.calls.p95Ms)} p99 ${ms(stage.calls.p99Ms)}; ` +
          `${stage.serverErrors} server errors, ${stage.clientErrors} client errors; ` +
          `postgres ${stage.stores.postgres.count} calls p95 ${ms(stage.stores.postgres.p95Ms)}, ` +
          `cosmos ${stage.stores.cosmos.count} calls p95 ${ms(stage.stores.cosmos.p95Ms)}, ` +
          `${stage.stores.postgres.shadowReads + stage.stores.cosmos.shadowReads} shadow reads ` +
          `(${stage.stores.postgres.shadowMismatches + stage.stores.cosmos.shadowMismatches} differ)`,
      );
    return { ...result, sourceRows };
  } finally {
    await client
      .database(database)
      .delete()
      .catch(() => undefined);
  }
}

const ms = (value: number | null) => (value === null ? '-' : `${round(value)} ms`);
const round = (n: number) => Math.round(n * 100) / 100;

const RATIO_NAMES = {
  'dual-write': 'DualWrite',
  'shadow-reads': 'ShadowReads',
  'cosmos-reads': 'CosmosReads',
} as const;

type RatioName = (typeof RATIO_NAMES)[keyof typeof RATIO_NAMES];
type RatioKey = `router${RatioName}${'ThroughputRatio' | 'P50Ratio' | 'P95Ratio'}`;

/** The JSON summary's router fields: each stage's figures and its ratios to postgres-only. */
export function routerSummary(figures: RouterFigures) {
  const byStage = Object.fromEntries(figures.stages.map((s) => [s.stage, s])) as Record<
    RouterStageFigures['stage'],
    RouterStageFigures
  >;
  const base = byStage['postgres-only'];
  const ratio = (a: number, b: number) => (b > 0 ? round(a / b) : null);
  const ratios = {} as Record<RatioKey, number | null>;
  for (const [stage, name] of Object.entries(RATIO_NAMES) as [
    keyof typeof RATIO_NAMES,
    RatioName,
  ][]) {
    const s = byStage[stage];
    ratios[`router${name}ThroughputRatio`] = ratio(s.opsPerSec, base.opsPerSec);
    ratios[`router${name}P50Ratio`] = ratio(s.calls.p50Ms, base.calls.p50Ms);
    ratios[`router${name}P95Ratio`] = ratio(s.calls.p95Ms, base.calls.p95Ms);
  }
  return {
    ...ratios,
    routerStages: Object.fromEntries(
      figures.stages.map((s) => [
        s.stage,
        {
          opsPerSec: s.opsPerSec,
          completed: s.completed,
          dropped: s.dropped,
          serverErrors: s.serverErrors,
          clientErrors: s.clientErrors,
          inFlight: s.inFlight,
          callP50Ms: round(s.calls.p50Ms),
          callP95Ms: round(s.calls.p95Ms),
          callP99Ms: round(s.calls.p99Ms),
          calls: s.calls.count,
          readP95Ms: round(s.readCalls.p95Ms),
          writeP95Ms: round(s.writeCalls.p95Ms),
          postgres: storeSummary(s.stores.postgres),
          cosmos: storeSummary(s.stores.cosmos),
        },
      ]),
    ),
    routerLoad: {
      ...ROUTER_LOAD,
      sourceRows: figures.sourceRows,
      loadedDocuments: figures.loadedDocuments,
    },
  };
}

const storeSummary = (f: RouterStageFigures['stores']['postgres']) => ({
  calls: f.count,
  errors: f.errors,
  p50Ms: f.p50Ms,
  p95Ms: f.p95Ms,
  p99Ms: f.p99Ms,
  shadowReads: f.shadowReads,
  shadowMismatches: f.shadowMismatches,
});

/** The printed lines: one per stage, its ratios to the baseline measured in the same run. */
export function routerLines(summary: ReturnType<typeof routerSummary>): string[] {
  const lines: string[] = [];
  for (const [stage, s] of Object.entries(summary.routerStages)) {
    const name = RATIO_NAMES[stage as keyof typeof RATIO_NAMES];
    const vs = name
      ? `  = ${summary[`router${name}ThroughputRatio`]} x throughput, ${summary[`router${name}P95Ratio`]} x p95 of postgres-only`
      : '  (baseline)';
    lines.push(
      `router ${stage.padEnd(13)} ${String(Math.round(s.opsPerSec)).padStart(4)} ops/s of ${ROUTER_LOAD.rate}, ` +
        `call p50 ${s.callP50Ms} ms, p95 ${s.callP95Ms} ms, ${s.serverErrors} server errors${vs}`,
    );
  }
  return lines;
}

/** Alone: embedded PostgreSQL and the local Cosmos server of its own, then this phase only. */
async function standalone() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cosmos-migration-router-bench-'));
  fs.chmodSync(root, 0o755);
  const postgres = await startEmbeddedPostgres({ dataDir: path.join(root, 'postgres') });
  const cosmos = await startLocalCosmos();
  const client = createCosmosClient(
    parseConfig({
      DATABASE_URL: postgres.url,
      COSMOS_ENDPOINT: cosmos.endpoint,
      COSMOS_KEY: cosmos.key,
      COSMOS_DATABASE: 'x',
    }).cosmos,
  );
  let figures: RouterFigures;
  try {
    figures = await routerPhase(client, await postgres.createDatabase('bench_router'), cosmos);
  } finally {
    client.dispose();
    await cosmos.stop();
    await postgres.stop();
    fs.rmSync(root, { recursive: true, force: true });
  }
  const summary = routerSummary(figures);
  if (process.argv.includes('--json'))
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  else {
    log('');
    for (const line of routerLines(summary)) log(line);
  }
}

if (require.main === module)
  standalone().then(
    () => process.exit(0),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
