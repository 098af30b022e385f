import { app, InvocationContext } from '@azure/functions';
import { functionsEngine } from '../shared/composition/functions-engine';
import { errorMessage } from '../shared/errors/app-error';
import { applySyncBatch } from '../shared/sync/apply-sync-batch';
import { syncBatchMessageSchema } from '../shared/sync/inputs';

/** One part of a large sync round; rethrows after logging, so Service Bus redelivers it. */
export async function syncBatch(message: unknown, context: InvocationContext): Promise<void> {
  const parsed = syncBatchMessageSchema.safeParse(message);
  if (!parsed.success) {
    throw new Error(`malformed sync message: ${parsed.error.issues[0]?.message ?? 'unknown'}`);
  }
  try {
    const outcome = await applySyncBatch(functionsEngine().syncDeps(), parsed.data);
    if (outcome.kind === 'skipped') {
      context.log(`sync part ${parsed.data.roundId}/${parsed.data.seq} skipped: ${outcome.reason}`);
      return;
    }
    context.log(
      `sync part ${parsed.data.roundId}/${parsed.data.seq}: ${outcome.batch.rowErrors} row errors`,
    );
  } catch (error) {
    context.error(
      `sync part ${parsed.data.roundId}/${parsed.data.seq} failed (delivery ${String(context.triggerMetadata?.deliveryCount ?? '?')}): ${errorMessage(error)}`,
    );
    throw error;
  }
}

app.serviceBusQueue('sync-batch', {
  connection: 'SERVICEBUS',
  queueName: '%SYNC_QUEUE%',
  handler: syncBatch,
});
