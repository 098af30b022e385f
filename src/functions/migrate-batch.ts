import { app, InvocationContext } from '@azure/functions';
import { errorMessage } from '../shared/errors/app-error';
import { functionsEngine } from '../shared/composition/functions-engine';
import { batchMessageSchema } from '../shared/migration/inputs';
import { migrateBatch } from '../shared/migration/migrate-batch';

/** Rethrows after logging, so Service Bus redelivers and finally dead-letters the batch. */
export async function migrateBatchHandler(
  message: unknown,
  context: InvocationContext,
): Promise<void> {
  const parsed = batchMessageSchema.safeParse(message);
  if (!parsed.success) {
    throw new Error(`malformed batch message: ${parsed.error.issues[0]?.message ?? 'unknown'}`);
  }
  try {
    const outcome = await migrateBatch(functionsEngine(), parsed.data);
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
