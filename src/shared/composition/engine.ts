import { CosmosClient } from '@azure/cosmos';
import { AppConfig } from '../config/config';
import { createCosmosClient } from '../cosmos/client';
import { CosmosDocumentWriter } from '../cosmos/document-writer';
import { CosmosRunStore } from '../cosmos/cosmos-run-store';
import { verifyTarget } from '../cosmos/target';
import { AppError } from '../errors/app-error';
import { MigrationDeps } from '../migration/deps';
import { BatchMessage } from '../migration/records';
import { RuBudget } from '../migration/ru-budget';
import { createSourcePool } from '../postgres/pool';
import { PostgresSourceReader } from '../postgres/source-reader';
import { MessageQueue } from '../queue/queue';
import { CosmosDocumentReader } from '../cosmos/document-reader';
import { CosmosValidationStore } from '../cosmos/cosmos-validation-store';
import { ValidationDeps } from '../validation/deps';
import { ValidationMessage } from '../validation/records';
import { AppInsightsMetrics, Metrics } from '../observability/metrics';
import { sharedCredential } from '../identity/credential';
import pg from 'pg';
import { CosmosSyncStore } from '../cosmos/cosmos-sync-store';
import { PostgresChangeStream, replicationNames } from '../sync/replication';
import { SyncDeps } from '../sync/run-round';
import { SyncBatchMessage } from '../sync/records';
import { setUpSync } from '../sync/set-up-sync';
import { createSyncGate, SyncGate } from '../sync/sync-gate';
import { SyncStore } from '../sync/sync-store';
import { CosmosCountsStore } from '../counts/cosmos-counts-store';
import { CountsStore } from '../counts/counts-store';
import { CosmosNamesStore } from '../counts/cosmos-names-store';
import { NamesStore } from '../counts/names-store';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppConfigurationFlagStore } from '../flags/app-configuration-flag-store';
import { FileFlagStore } from '../flags/file-flag-store';
import { FlagStore } from '../flags/flag-store';
import { createMigrationGate, MigrationGate } from '../flags/migration-gate';
import { CosmosCutoverStore } from '../cosmos/cosmos-cutover-store';
import { CutoverDeps } from '../cutover/ports';
import { catchUp } from '../sync/catch-up';
import { DEFAULT_CATCH_UP_ROUNDS } from '../sync/inputs';
import { syncHandOff } from '../sync/hand-off';
import { stopSync } from '../sync/stop-sync';
import { syncStatus } from '../sync/sync-status';
import { getValidation } from '../validation/validation-queries';
import { OperationWindowStore } from '../app-data/operation-metrics';
import { ReplayQueue } from '../app-data/replay-queue';
import { replayWrites } from '../app-data/replay/replay-writes';
import { CosmosMetricsStore } from '../cosmos/cosmos-metrics-store';
import { CosmosReplayQueue } from '../cosmos/cosmos-replay-queue';
import { AppDataParts, createAppDataParts, replayDepsOf } from './app-data';

/** The engine's adapters, wired from the configuration; each client is created on first use. */
export interface EngineQueues {
  migration: MessageQueue<BatchMessage>;
  validation: MessageQueue<ValidationMessage>;
  sync: MessageQueue<SyncBatchMessage>;
}

export interface Engine extends MigrationDeps, ValidationDeps {
  readonly config: AppConfig;
  readonly cosmos: CosmosClient;
  /** The source's logical decoding (continuous sync), on a small pool of its own. */
  readonly changeStream: PostgresChangeStream;
  readonly syncStore: SyncStore;
  /** What a sync round works through. */
  syncDeps(): SyncDeps;
  /** Application Insights custom metrics, when it is configured. */
  readonly metrics: Metrics | undefined;
  /** Parents' counts kept from the change feed (docs/counts.md). */
  readonly counts: CountsStore;
  /** Embedded usernames kept from the users change feed. */
  readonly names: NamesStore;
  /** The cutover flags: App Configuration when APP_CONFIGURATION_ENDPOINT is set, else a file. */
  readonly flags: FlagStore;
  /** `Migration.Enabled` as the workers read it: through `flags`, cached briefly. */
  readonly migrationGate: MigrationGate;
  /** What the stage controller reads, writes and judges. */
  cutoverDeps(): CutoverDeps;
  /** Writes a store missed, waiting to be copied from the other (docs/cutover.md). */
  readonly replayQueue: ReplayQueue;
  /** The router's saved metric windows, which the watchdog judges. */
  readonly metricsWindows: OperationWindowStore;
  /** The application's data library on this engine's stores: both repositories and the router. */
  readonly appData: AppDataParts;
  close(): Promise<void>;
}

/** How often, and how far apart, the sync's lag is read while a round holds the slot. */
const LAG_ATTEMPTS = 5;
const LAG_RETRY_MS = 400;

/** Bulk calls in flight for the whole process: every batch's share, lent to the others. */
export const bulkCallsInFlight = (config: AppConfig): number =>
  config.migration.writeConcurrency * config.migration.batchConcurrency;

export function createEngine(config: AppConfig, queues: EngineQueues): Engine {
  let cosmos: CosmosClient | undefined;
  let source: PostgresSourceReader | undefined;
  let writer: CosmosDocumentWriter | undefined;
  let store: CosmosRunStore | undefined;
  let reader: CosmosDocumentReader | undefined;
  let validations: CosmosValidationStore | undefined;
  let metrics: Metrics | undefined;
  let changeStream: PostgresChangeStream | undefined;
  let syncPool: pg.Pool | undefined;
  let syncStore: CosmosSyncStore | undefined;
  let syncGate: SyncGate | undefined;
  let counts: CosmosCountsStore | undefined;
  let names: CosmosNamesStore | undefined;
  let flags: FlagStore | undefined;
  let migrationGate: MigrationGate | undefined;
  let cutoverStore: CosmosCutoverStore | undefined;
  let replayQueue: CosmosReplayQueue | undefined;
  let metricsWindows: CosmosMetricsStore | undefined;
  let appData: AppDataParts | undefined;
  const budget = new RuBudget(config.migration.ruBudgetPerSecond);
  const inFlight = bulkCallsInFlight(config);

  const requireSource = () => {
    if (!config.source.url) {
      throw new AppError('CONFIG_INVALID', 'DATABASE_URL (or DATABASE_HOST/NAME/USER) is not set');
    }
  };
  const engine: Engine = {
    config,
    get cosmos() {
      cosmos ??= createCosmosClient(config.cosmos);
      return cosmos;
    },
    get source() {
      requireSource();
      source ??= new PostgresSourceReader(
        createSourcePool(config.source, { max: config.migration.batchConcurrency + 2 }),
      );
      return source;
    },
    get writer() {
      writer ??= new CosmosDocumentWriter(
        engine.cosmos,
        config.cosmos.database,
        budget,
        inFlight,
        config.cosmos.maxThrottleRetries,
      );
      return writer;
    },
    get store() {
      store ??= new CosmosRunStore(engine.cosmos, config.cosmos.database, engine.writer);
      return store;
    },
    get reader() {
      reader ??= new CosmosDocumentReader(
        engine.cosmos,
        config.cosmos.database,
        budget,
        inFlight,
        config.cosmos.maxThrottleRetries,
      );
      return reader;
    },
    get validations() {
      validations ??= new CosmosValidationStore(
        engine.cosmos,
        config.cosmos.database,
        engine.writer,
      );
      return validations;
    },
    get metrics() {
      const { appInsightsConnectionString: connection, appInsightsEntraAuth } =
        config.observability;
      metrics ??= connection
        ? new AppInsightsMetrics(connection, appInsightsEntraAuth ? sharedCredential : undefined)
        : undefined;
      return metrics;
    },
    get changeStream() {
      requireSource();
      // A round holds two connections (its lock and its read); set-up and status one more.
      syncPool ??= createSourcePool(config.source, { max: 3 });
      changeStream ??= new PostgresChangeStream(syncPool, replicationNames(config.sync.name));
      return changeStream;
    },
    get syncStore() {
      syncStore ??= new CosmosSyncStore(engine.cosmos, config.cosmos.database, engine.writer);
      return syncStore;
    },
    get counts() {
      counts ??= new CosmosCountsStore(engine.cosmos, config.cosmos.database);
      return counts;
    },
    get names() {
      names ??= new CosmosNamesStore(engine.cosmos, config.cosmos.database);
      return names;
    },
    get flags() {
      const { endpoint } = config.appConfiguration;
      flags ??= endpoint
        ? new AppConfigurationFlagStore(endpoint, sharedCredential())
        : new FileFlagStore(path.resolve(config.flags.file));
      return flags;
    },
    get migrationGate() {
      migrationGate ??= createMigrationGate(engine.flags, { cacheMs: config.pause.flagCacheMs });
      return migrationGate;
    },
    cutoverDeps() {
      cutoverStore ??= new CosmosCutoverStore(engine.cosmos, config.cosmos.database);
      const store = cutoverStore;
      return {
        flags: engine.flags,
        audit: store,
        readings: {
          async latestValidation() {
            // The guard judges full validations: a scheduled sample since does not hide one.
            const id = await engine.validations.latestValidationId('full');
            return id ? getValidation(engine, id) : null;
          },
          async syncLag() {
            try {
              // A round holding the slot hides its lag for a moment: looked at a few times.
              for (let attempt = 1; ; attempt++) {
                const report = await syncStatus(engine.syncDeps());
                if (report.state.status === 'paused')
                  return { lagSeconds: null, reason: 'the sync is paused (cosmos-primary)' };
                if (report.slotError) return { lagSeconds: null, reason: report.slotError.message };
                const lagSeconds = report.slot?.lagSeconds ?? null;
                if (lagSeconds !== null) return { lagSeconds };
                if (!report.slot?.active || attempt >= LAG_ATTEMPTS)
                  return {
                    lagSeconds: null,
                    reason: report.slot?.active
                      ? `a sync round held the slot each of ${LAG_ATTEMPTS} times its lag was read`
                      : 'the slot reports no lag',
                  };
                await sleep(LAG_RETRY_MS);
              }
            } catch (error) {
              if (error instanceof AppError) return { lagSeconds: null, reason: error.message };
              throw error;
            }
          },
          pendingReplays: () => engine.replayQueue.pending(),
        },
        replayNow: () => replayWrites(replayDepsOf(engine), config.replay.batch),
        sync: syncHandOff({
          // Lazily: a status read needs no source connection.
          stream: { tryLockRound: () => engine.changeStream.tryLockRound() },
          syncStore: engine.syncStore,
          catchUp: () => catchUp(engine.syncDeps(), DEFAULT_CATCH_UP_ROUNDS),
          drainTimeoutMs: config.cutover.syncDrainTimeoutMs,
          stop: () => stopSync({ capture: engine.changeStream, syncStore: engine.syncStore }),
        }),
        thresholds: config.cutover,
      };
    },
    get replayQueue() {
      replayQueue ??= new CosmosReplayQueue(engine.cosmos, config.cosmos.database);
      return replayQueue;
    },
    get metricsWindows() {
      metricsWindows ??= new CosmosMetricsStore(engine.cosmos, config.cosmos.database);
      return metricsWindows;
    },
    get appData() {
      requireSource();
      appData ??= createAppDataParts(engine);
      return appData;
    },
    get syncGate() {
      syncGate ??= createSyncGate(engine.syncDeps());
      return syncGate;
    },
    syncDeps: () => ({
      source: engine.source,
      reader: engine.reader,
      writer: engine.writer,
      tombstoneTtlSeconds: config.sync.tombstoneTtlSeconds,
      stream: engine.changeStream,
      syncStore: engine.syncStore,
      runs: engine.store,
      maxChanges: config.sync.maxChanges,
      syncQueue: queues.sync,
      fanOutKeys: config.sync.fanOutKeys,
    }),
    async captureChanges(runId) {
      const state = await setUpSync(
        { capture: engine.changeStream, syncStore: engine.syncStore },
        runId,
      );
      return { slot: state.slot, startLsn: state.startLsn };
    },
    recheckDelayMs: config.validation.recheckDelayMs,
    queue: queues.migration,
    validationQueue: queues.validation,
    verifyTarget: (containers) => verifyTarget(engine.cosmos, config.cosmos.database, containers),
    async close() {
      await appData?.close();
      await source?.close();
      await syncPool?.end();
      cosmos?.dispose();
    },
  };
  return engine;
}
