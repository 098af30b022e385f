import { app, InvocationContext } from '@azure/functions';
import { functionsEngine } from '../shared/composition/functions-engine';
import { validationMessageSchema } from '../shared/validation/inputs';
import { failValidationBatch } from '../shared/validation/validate-batch';

/** A dead-lettered validation batch shows as failed, so the verdict is "failed", never "ready". */
export async function validateBatchDeadletter(
  message: unknown,
  context: InvocationContext,
): Promise<void> {
  const parsed = validationMessageSchema.safeParse(message);
  if (!parsed.success) {
    context.warn(`dead-lettered message is not a validation message; left as it is`);
    return;
  }
  const metadata = context.triggerMetadata ?? {};
  const reason = [metadata.deadLetterReason, metadata.deadLetterErrorDescription]
    .filter(Boolean)
    .join(': ');
  const batch = await failValidationBatch(
    functionsEngine(),
    parsed.data,
    reason || 'dead-lettered',
  );
  context.warn(
    `validation batch ${parsed.data.batchId} dead-lettered: ${batch?.lastError ?? 'batch not found'}`,
  );
}

app.serviceBusQueue('validate-batch-deadletter', {
  connection: 'SERVICEBUS',
  queueName: '%VALIDATION_QUEUE%/$DeadLetterQueue',
  handler: validateBatchDeadletter,
});
