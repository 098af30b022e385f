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
  close(): Promise<void>;
}

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
    queue: queues.migration,
    validationQueue: queues.validation,
    verifyTarget: (containers) => verifyTarget(engine.cosmos, config.cosmos.database, containers),
    async close() {
      await source?.close();
      await syncPool?.end();
      cosmos?.dispose();
    },
  };
  return engine;
}
