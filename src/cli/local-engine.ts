import { AppConfig } from '../shared/config/config';
import { createEngine, Engine } from '../shared/engine';
import { failBatch, migrateBatch } from '../shared/migration/migrate-batch';
import { BatchMessage } from '../shared/migration/records';
import { InProcessQueue } from '../shared/queue/in-process-queue';
import { failValidationBatch, validateBatch } from '../shared/validation/validate-batch';
import { ValidationMessage } from '../shared/validation/records';

export interface LocalEngine extends Engine {
  readonly localQueue: InProcessQueue<BatchMessage>;
  readonly localValidationQueue: InProcessQueue<ValidationMessage>;
}

/** The engine with in-process queues standing in for Service Bus: the same worker code runs here. */
export function createLocalEngine(config: AppConfig): LocalEngine {
  const queueOptions = {
    concurrency: config.migration.batchConcurrency,
    maxDeliveryCount: config.migration.maxDeliveryCount,
  };
  const localQueue = new InProcessQueue<BatchMessage>({
    ...queueOptions,
    handle: async ({ message }) => {
      await migrateBatch(engine, message.body);
    },
    deadLetter: async (message, reason) => {
      await failBatch(engine, message.body, reason);
    },
  });
  const localValidationQueue = new InProcessQueue<ValidationMessage>({
    ...queueOptions,
    handle: async ({ message }) => {
      await validateBatch(engine, message.body);
    },
    deadLetter: async (message, reason) => {
      await failValidationBatch(engine, message.body, reason);
    },
  });
  const engine: Engine = createEngine(config, {
    migration: localQueue,
    validation: localValidationQueue,
  });
  return Object.assign(engine, { localQueue, localValidationQueue });
}
