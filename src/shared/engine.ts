import { CosmosClient } from '@azure/cosmos';
import { AppConfig } from './config/config';
import { createCosmosClient } from './cosmos/client';
import { CosmosDocumentWriter } from './cosmos/document-writer';
import { CosmosRunStore } from './cosmos/cosmos-run-store';
import { verifyTarget } from './cosmos/target';
import { AppError } from './errors';
import { MigrationDeps } from './migration/deps';
import { BatchMessage } from './migration/records';
import { RuBudget } from './migration/ru-budget';
import { createSourcePool } from './postgres/pool';
import { PostgresSourceReader } from './postgres/source-reader';
import { MessageQueue } from './queue/queue';

/** The engine's adapters, wired from the configuration; each client is created on first use. */
export interface Engine extends MigrationDeps {
  readonly config: AppConfig;
  readonly cosmos: CosmosClient;
  close(): Promise<void>;
}

export function createEngine(config: AppConfig, queue: MessageQueue<BatchMessage>): Engine {
  let cosmos: CosmosClient | undefined;
  let source: PostgresSourceReader | undefined;
  let writer: CosmosDocumentWriter | undefined;
  let store: CosmosRunStore | undefined;
  const budget = new RuBudget(config.migration.ruBudgetPerSecond);

  const engine: Engine = {
    config,
    get cosmos() {
      cosmos ??= createCosmosClient(config.cosmos);
      return cosmos;
    },
    get source() {
      if (!config.source.url) {
        throw new AppError(
          'CONFIG_INVALID',
          'DATABASE_URL (or DATABASE_HOST/NAME/USER) is not set',
        );
      }
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
        config.migration.writeConcurrency,
        config.cosmos.maxThrottleRetries,
      );
      return writer;
    },
    get store() {
      store ??= new CosmosRunStore(engine.cosmos, config.cosmos.database, engine.writer);
      return store;
    },
    queue,
    verifyTarget: (containers) => verifyTarget(engine.cosmos, config.cosmos.database, containers),
    async close() {
      await source?.close();
      cosmos?.dispose();
    },
  };
  return engine;
}
