import { app, InvocationContext } from '@azure/functions';
import { errorMessage } from '../shared/errors/app-error';
import { functionsEngine } from '../shared/composition/functions-engine';
import { validationMessageSchema } from '../shared/validation/inputs';
import { validateBatch } from '../shared/validation/validate-batch';

/** Rethrows after logging, so Service Bus redelivers and finally dead-letters the batch. */
export async function validateBatchHandler(
  message: unknown,
  context: InvocationContext,
): Promise<void> {
  const parsed = validationMessageSchema.safeParse(message);
  if (!parsed.success) {
    throw new Error(
      `malformed validation message: ${parsed.error.issues[0]?.message ?? 'unknown'}`,
    );
  }
  try {
    const outcome = await validateBatch(functionsEngine(), parsed.data);
    if (outcome.kind === 'skipped') {
      context.log(`validation batch ${parsed.data.batchId} skipped: ${outcome.reason}`);
      return;
    }
    const { batch } = outcome;
    context.log(
      `validation batch ${batch.id}: ${batch.matched} matched, ${batch.mismatched} mismatched, ` +
        `${batch.missing} missing, ${batch.extra} extra, ${batch.durationMs} ms`,
    );
  } catch (error) {
    context.error(`validation batch ${parsed.data.batchId} failed: ${errorMessage(error)}`);
    throw error;
  }
}

app.serviceBusQueue('validate-batch', {
  connection: 'SERVICEBUS',
  queueName: '%VALIDATION_QUEUE%',
  handler: validateBatchHandler,
});
