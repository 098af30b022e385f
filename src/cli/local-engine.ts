import { AppConfig } from '../shared/config/config';
import { createEngine, Engine } from '../shared/composition/engine';
import { failBatch, migrateBatch } from '../shared/migration/migrate-batch';
import { BatchMessage } from '../shared/migration/records';
import { InProcessQueue } from '../shared/queue/in-process-queue';
import { failValidationBatch, validateBatch } from '../shared/validation/validate-batch';
import { ValidationMessage } from '../shared/validation/records';
import { applySyncBatch, failSyncBatch } from '../shared/sync/apply-sync-batch';
import { SyncBatchMessage } from '../shared/sync/records';

export interface LocalEngine extends Engine {
  readonly localQueue: InProcessQueue<BatchMessage>;
  readonly localValidationQueue: InProcessQueue<ValidationMessage>;
  readonly localSyncQueue: InProcessQueue<SyncBatchMessage>;
}

/** The engine with in-process queues standing in for Service Bus: the same worker code runs here. */
export function createLocalEngine(config: AppConfig): LocalEngine {
  // Each worker function and its dead-letter handler, as the function app binds them.
  const queue = <T>(
    handle: (body: T) => Promise<unknown>,
    deadLetter: (body: T, reason: string) => Promise<unknown>,
  ) =>
    new InProcessQueue<T>({
      concurrency: config.migration.batchConcurrency,
      maxDeliveryCount: config.migration.maxDeliveryCount,
      handle: async ({ message }) => {
        await handle(message.body);
      },
      deadLetter: async (message, reason) => {
        await deadLetter(message.body, reason);
      },
    });
  const localQueue = queue<BatchMessage>(
    (body) => migrateBatch(engine, body),
    (body, reason) => failBatch(engine, body, reason),
  );
  const localValidationQueue = queue<ValidationMessage>(
    (body) => validateBatch(engine, body),
    (body, reason) => failValidationBatch(engine, body, reason),
  );
  const localSyncQueue = queue<SyncBatchMessage>(
    (body) => applySyncBatch(engine.syncDeps(), body),
    (body, reason) => failSyncBatch(engine, body, reason),
  );
  const engine: Engine = createEngine(config, {
    migration: localQueue,
    validation: localValidationQueue,
    sync: localSyncQueue,
  });
  return Object.assign(engine, { localQueue, localValidationQueue, localSyncQueue });
}
