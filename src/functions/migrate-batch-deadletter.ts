import { app, InvocationContext } from '@azure/functions';
import { functionsEngine } from '../shared/composition/functions-engine';
import { batchMessageSchema } from '../shared/migration/inputs';
import { failBatch } from '../shared/migration/migrate-batch';

/** A dead-lettered batch shows as failed in its run, with the reason Service Bus gives. */
export async function migrateBatchDeadletter(
  message: unknown,
  context: InvocationContext,
): Promise<void> {
  const parsed = batchMessageSchema.safeParse(message);
  if (!parsed.success) {
    context.warn(`dead-lettered message is not a batch message; left as it is`);
    return;
  }
  const metadata = context.triggerMetadata ?? {};
  const reason = [metadata.deadLetterReason, metadata.deadLetterErrorDescription]
    .filter(Boolean)
    .join(': ');
  const batch = await failBatch(functionsEngine(), parsed.data, reason || 'dead-lettered');
  context.warn(
    `batch ${parsed.data.batchId} dead-lettered: ${batch?.lastError ?? 'batch not found'}`,
  );
}

app.serviceBusQueue('migrate-batch-deadletter', {
  connection: 'SERVICEBUS',
  queueName: '%MIGRATION_QUEUE%/$DeadLetterQueue',
  handler: migrateBatchDeadletter,
});
