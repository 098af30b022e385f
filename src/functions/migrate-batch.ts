import { app, InvocationContext } from '@azure/functions';
import { errorMessage } from '../shared/errors/app-error';
import { functionsEngine } from '../shared/composition/functions-engine';
import { deliveredMessageId, holdWhilePaused } from '../shared/flags/hold-while-paused';
import { PAUSED_REASON } from '../shared/flags/migration-gate';
import { batchMessageSchema } from '../shared/migration/inputs';
import { migrateBatch } from '../shared/migration/migrate-batch';

/**
 * While Migration.Enabled is off the batch is sent back for later and the delivery completes
 * (never dead-lettered). A failure rethrows after logging, so Service Bus redelivers and finally
 * dead-letters the batch.
 */
export async function migrateBatchHandler(
  message: unknown,
  context: InvocationContext,
): Promise<void> {
  const parsed = batchMessageSchema.safeParse(message);
  if (!parsed.success) {
    throw new Error(`malformed batch message: ${parsed.error.issues[0]?.message ?? 'unknown'}`);
  }
  const engine = functionsEngine();
  try {
    const hold = await holdWhilePaused(
      { gate: engine.migrationGate, queue: engine.queue, delays: engine.config.pause },
      {
        messageId: deliveredMessageId(context.triggerMetadata),
        fallbackId: parsed.data.batchId,
        body: parsed.data,
      },
    );
    if (hold.staleBecause) context.warn(`batch ${parsed.data.batchId}: ${hold.staleBecause}`);
    if (hold.kind === 'held') {
      context.log(
        `batch ${parsed.data.batchId} paused (${PAUSED_REASON}): sent back as ${hold.requeuedAs}, due in ${hold.delayMs / 1000} s`,
      );
      return;
    }
    const outcome = await migrateBatch(engine, parsed.data);
    if (outcome.kind === 'skipped') {
      context.log(`batch ${parsed.data.batchId} skipped: ${outcome.reason}`);
      return;
    }
    const { batch } = outcome;
    context.log(
      `batch ${batch.id}: ${batch.rowsRead} rows, ${batch.documentsWritten} documents, ${batch.rowErrors} row errors, ` +
        `${batch.requestCharge} RU, ${batch.throttled} throttled, ${batch.durationMs} ms`,
    );
  } catch (error) {
    context.error(
      `batch ${parsed.data.batchId} failed (delivery ${String(context.triggerMetadata?.deliveryCount ?? '?')}): ${errorMessage(error)}`,
    );
    throw error;
  }
}

app.serviceBusQueue('migrate-batch', {
  connection: 'SERVICEBUS',
  queueName: '%MIGRATION_QUEUE%',
  handler: migrateBatchHandler,
});
