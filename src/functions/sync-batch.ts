import { app, InvocationContext } from '@azure/functions';
import { functionsEngine } from '../shared/composition/functions-engine';
import { errorMessage } from '../shared/errors/app-error';
import { deliveredMessageId, holdWhilePaused } from '../shared/flags/hold-while-paused';
import { PAUSED_REASON } from '../shared/flags/migration-gate';
import { applySyncBatch } from '../shared/sync/apply-sync-batch';
import { syncBatchMessageSchema } from '../shared/sync/inputs';
import { syncBatchId } from '../shared/sync/records';

/**
 * One part of a large sync round. While Migration.Enabled is off the part is sent back for
 * later and the delivery completes (never dead-lettered); a failure rethrows after logging, so
 * Service Bus redelivers it.
 */
export async function syncBatch(message: unknown, context: InvocationContext): Promise<void> {
  const parsed = syncBatchMessageSchema.safeParse(message);
  if (!parsed.success) {
    throw new Error(`malformed sync message: ${parsed.error.issues[0]?.message ?? 'unknown'}`);
  }
  const part = `${parsed.data.roundId}/${parsed.data.seq}`;
  const engine = functionsEngine();
  try {
    const deps = engine.syncDeps();
    const hold = await holdWhilePaused(
      { gate: engine.migrationGate, queue: deps.syncQueue, delays: engine.config.pause },
      {
        messageId: deliveredMessageId(context.triggerMetadata),
        fallbackId: syncBatchId(parsed.data.roundId, parsed.data.seq),
        body: parsed.data,
      },
    );
    if (hold.staleBecause) context.warn(`sync part ${part}: ${hold.staleBecause}`);
    if (hold.kind === 'held') {
      context.log(
        `sync part ${part} paused (${PAUSED_REASON}): sent back as ${hold.requeuedAs}, due in ${hold.delayMs / 1000} s`,
      );
      return;
    }
    const outcome = await applySyncBatch(deps, parsed.data);
    if (outcome.kind === 'skipped') {
      context.log(`sync part ${part} skipped: ${outcome.reason}`);
      return;
    }
    context.log(`sync part ${part}: ${outcome.batch.rowErrors} row errors`);
  } catch (error) {
    context.error(
      `sync part ${part} failed (delivery ${String(context.triggerMetadata?.deliveryCount ?? '?')}): ${errorMessage(error)}`,
    );
    throw error;
  }
}

app.serviceBusQueue('sync-batch', {
  connection: 'SERVICEBUS',
  queueName: '%SYNC_QUEUE%',
  handler: syncBatch,
});
