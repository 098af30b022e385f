import { AppConfig } from '../shared/config/config';
import { createEngine, Engine } from '../shared/engine';
import { failBatch, migrateBatch } from '../shared/migration/migrate-batch';
import { BatchMessage } from '../shared/migration/records';
import { InProcessQueue } from '../shared/queue/in-process-queue';

export interface LocalEngine extends Engine {
  readonly localQueue: InProcessQueue<BatchMessage>;
}

/** The engine with an in-process queue standing in for Service Bus: the same worker code runs here. */
export function createLocalEngine(config: AppConfig): LocalEngine {
  const localQueue = new InProcessQueue<BatchMessage>({
    concurrency: config.migration.batchConcurrency,
    maxDeliveryCount: config.migration.maxDeliveryCount,
    handle: async ({ message }) => {
      await migrateBatch(engine, message.body);
    },
    deadLetter: async (message, reason) => {
      await failBatch(engine, message.body, reason);
    },
  });
  const engine: Engine = createEngine(config, localQueue);
  return Object.assign(engine, { localQueue });
}
