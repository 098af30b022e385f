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
  let localQueue: InProcessQueue<BatchMessage> | undefined;
  const engine = createEngine(config, (e) => {
    localQueue = new InProcessQueue<BatchMessage>({
      concurrency: config.migration.batchConcurrency,
      maxDeliveryCount: config.migration.maxDeliveryCount,
      handle: async ({ message }) => {
        await migrateBatch(e, message.body);
      },
      deadLetter: async (message, reason) => {
        await failBatch(e, message.body, reason);
      },
    });
    return localQueue;
  });
  return Object.defineProperty(engine, 'localQueue', {
    get: () => {
      void engine.queue;
      return localQueue!;
    },
  }) as LocalEngine;
}
