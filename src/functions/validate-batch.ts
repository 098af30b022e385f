import { app, InvocationContext } from '@azure/functions';
import { errorMessage } from '../shared/errors/app-error';
import { functionsEngine } from '../shared/composition/functions-engine';
import { deliveredMessageId, holdWhilePaused } from '../shared/flags/hold-while-paused';
import { PAUSED_REASON } from '../shared/flags/migration-gate';
import { validationMessageSchema } from '../shared/validation/inputs';
import { validateBatch } from '../shared/validation/validate-batch';

/**
 * While Migration.Enabled is off the batch is sent back for later and the delivery completes
 * (never dead-lettered). A failure rethrows after logging, so Service Bus redelivers and finally
 * dead-letters the batch.
 */
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
  const engine = functionsEngine();
  try {
    const hold = await holdWhilePaused(
      { gate: engine.migrationGate, queue: engine.validationQueue, delays: engine.config.pause },
      {
        messageId: deliveredMessageId(context.triggerMetadata),
        fallbackId: parsed.data.batchId,
        body: parsed.data,
      },
    );
    if (hold.staleBecause)
      context.warn(`validation batch ${parsed.data.batchId}: ${hold.staleBecause}`);
    if (hold.kind === 'held') {
      context.log(
        `validation batch ${parsed.data.batchId} paused (${PAUSED_REASON}): sent back as ${hold.requeuedAs}, due in ${hold.delayMs / 1000} s`,
      );
      return;
    }
    const outcome = await validateBatch(engine, parsed.data);
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
