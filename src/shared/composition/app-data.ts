import fs from 'node:fs';
import { hostname } from 'node:os';
import type pg from 'pg';
import { AppConfigurationRouting } from '../app-data/app-configuration-routing';
import { CosmosAppRepository } from '../app-data/cosmos-repository';
import { FlagRouting } from '../app-data/flag-routing';
import { OperationMetrics } from '../app-data/operation-metrics';
import { PostgresAppRepository } from '../app-data/postgres-repository';
import { CopyToCosmos } from '../app-data/replay/copy-to-cosmos';
import { CopyToPostgres } from '../app-data/replay/copy-to-postgres';
import { ReplayDeps } from '../app-data/replay/replay-writes';
import { AppRepository, StoreName } from '../app-data/repository';
import { StageRouter } from '../app-data/stage-router';
import { WatchdogDeps } from '../cutover/watchdog';
import { sharedCredential } from '../identity/credential';
import { createSourcePool } from '../postgres/pool';
import { SyncStatus } from '../sync/records';
import type { Engine } from './engine';

/** The data library's parts, built once per engine. */
export interface AppDataParts {
  /** The application's own PostgreSQL pool (the repository's and the replay's). */
  pool: pg.Pool;
  stores: Record<StoreName, AppRepository>;
  router: StageRouter;
  metrics: OperationMetrics;
  close(): Promise<void>;
}

const APP_POOL_SIZE = 10;

/** Sync states whose slot keeps every change for the sync to apply (a failed one after recovery). */
const SYNC_APPLYING = new Set<SyncStatus>(['holding', 'following', 'failed']);

export type Warn = (code: string, message: string) => void;

/** Loud on stderr: a flag store that cannot be read, or a miss that could not be recorded. */
const warnOnStderr: Warn = (code, message) => console.error(`[${code}] ${message}`);

export function createAppDataParts(engine: Engine, warn: Warn = warnOnStderr): AppDataParts {
  const { config } = engine;
  const pool = createSourcePool(config.source, { max: APP_POOL_SIZE });
  const stores: Record<StoreName, AppRepository> = {
    postgres: new PostgresAppRepository(pool),
    cosmos: new CosmosAppRepository(engine.cosmos, config.cosmos.database, {
      tombstoneTtlSeconds: config.sync.tombstoneTtlSeconds,
    }),
  };
  const metrics = new OperationMetrics(engine.metricsWindows, {
    instance: `${hostname()}-${process.pid}`,
    windowSeconds: config.appData.metricsWindowSeconds,
    ttlSeconds: config.appData.metricsTtlSeconds,
    ...(engine.metrics ? { metrics: engine.metrics } : {}),
    onFlushError: (message) => warn('APP_METRICS_UNSAVED', `metric window not saved: ${message}`),
  });
  metrics.startFlushing(config.appData.metricsFlushMs);
  const { endpoint } = config.appConfiguration;
  const onReadError = (message: string, fallback: boolean) =>
    warn(fallback ? 'CUTOVER_FLAGS_FALLBACK' : 'CUTOVER_FLAGS_STALE', message);
  // Said once, at startup: without App Configuration the stage is only what a local file says.
  if (!endpoint)
    warn(
      'CUTOVER_FLAGS_LOCAL',
      `APP_CONFIGURATION_ENDPOINT is not set: the cutover flags come from ${engine.flags.location}` +
        (fs.existsSync(engine.flags.location)
          ? ''
          : ', which does not exist: acting as in postgres-only'),
    );
  const routing = endpoint
    ? new AppConfigurationRouting(endpoint, sharedCredential(), {
        refreshMs: config.appData.flagsRefreshMs,
        startupTimeoutMs: config.appData.flagsStartupTimeoutMs,
        onReadError,
      })
    : new FlagRouting(engine.flags, { refreshMs: config.appData.flagsRefreshMs, onReadError });
  const router = new StageRouter({
    stores,
    routing,
    replay: engine.replayQueue,
    metrics,
    warn,
  });
  return {
    pool,
    stores,
    router,
    metrics,
    async close() {
      await router.settled();
      await metrics.close();
      await pool.end();
    },
  };
}

/** What the replay pass copies with: each store's repository for deletes, the sync's apply for Cosmos. */
export function replayDepsOf(engine: Engine): ReplayDeps {
  const { config } = engine;
  const { pool, stores } = engine.appData;
  return {
    queue: engine.replayQueue,
    copiers: {
      postgres: new CopyToPostgres(engine.cosmos, config.cosmos.database, pool, stores.postgres),
      cosmos: new CopyToCosmos(
        pool,
        {
          source: engine.source,
          reader: engine.reader,
          writer: engine.writer,
          tombstoneTtlSeconds: config.sync.tombstoneTtlSeconds,
        },
        stores.cosmos,
      ),
    },
    async syncApplies() {
      const state = await engine.syncStore.get();
      return state !== undefined && SYNC_APPLYING.has(state.status);
    },
  };
}

export function watchdogDepsOf(engine: Engine): WatchdogDeps {
  return {
    ...engine.cutoverDeps(),
    windows: engine.metricsWindows,
    settings: engine.config.watchdog.settings,
    ...(engine.metrics ? { metrics: engine.metrics } : {}),
  };
}
