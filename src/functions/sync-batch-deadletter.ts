import { app, InvocationContext } from '@azure/functions';
import { functionsEngine } from '../shared/composition/functions-engine';
import { failSyncBatch } from '../shared/sync/apply-sync-batch';
import { syncBatchMessageSchema } from '../shared/sync/inputs';

/** A dead-lettered part shows as failed; the next sync round sends it again, with the reason in the sync's state. */
export async function syncBatchDeadletter(
  message: unknown,
  context: InvocationContext,
): Promise<void> {
  const parsed = syncBatchMessageSchema.safeParse(message);
  if (!parsed.success) {
    context.warn('dead-lettered message is not a sync message; left as it is');
    return;
  }
  const metadata = context.triggerMetadata ?? {};
  const reason = [metadata.deadLetterReason, metadata.deadLetterErrorDescription]
    .filter(Boolean)
    .join(': ');
  await failSyncBatch(functionsEngine(), parsed.data, reason || 'dead-lettered');
  context.warn(`sync part ${parsed.data.roundId}/${parsed.data.seq} dead-lettered: ${reason}`);
}

app.serviceBusQueue('sync-batch-deadletter', {
  connection: 'SERVICEBUS',
  queueName: '%SYNC_QUEUE%/$DeadLetterQueue',
  handler: syncBatchDeadletter,
});
