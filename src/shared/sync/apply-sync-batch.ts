import { errorMessage } from '../errors/app-error';
import { asFailed } from '../jobs/failed-batch';
import { ApplyDeps, applyKeys } from './apply-keys';
import { SyncBatchMessage, SyncBatchRecord } from './records';
import { addKeys, emptyKeys } from './source-keys';
import { ENTITY_NAMES } from '../entities/entity';
import { SyncStore } from './sync-store';

export type SyncBatchOutcome =
  | { kind: 'applied'; batch: SyncBatchRecord }
  | { kind: 'skipped'; reason: 'already-done' | 'unknown-batch' };

/**
 * One part of a fanned-out round (queue `sync-batches`): its keys applied as a round would
 * apply them. Safe to run twice; a failure is recorded and rethrown for redelivery. The round
 * advances the slot only once every part is done.
 */
export async function applySyncBatch(
  deps: ApplyDeps & { syncStore: SyncStore },
  message: SyncBatchMessage,
): Promise<SyncBatchOutcome> {
  const batch = await deps.syncStore.getBatch(message.roundId, message.seq);
  if (!batch) return { kind: 'skipped', reason: 'unknown-batch' };
  if (batch.status === 'done') return { kind: 'skipped', reason: 'already-done' };
  const keys = emptyKeys();
  for (const name of ENTITY_NAMES) addKeys(keys, name, batch.keys[name]);
  try {
    const applied = await applyKeys(deps, keys);
    const done: SyncBatchRecord = {
      ...batch,
      status: 'done',
      attempts: batch.attempts + 1,
      entities: Object.fromEntries(
        ENTITY_NAMES.map((name) => [
          name,
          {
            documentsUpserted: applied.entities[name].documentsUpserted,
            documentsDeleted: applied.entities[name].documentsDeleted,
          },
        ]),
      ) as SyncBatchRecord['entities'],
      rowErrors: applied.rowErrors.length,
      lastError: null,
      finishedAt: new Date().toISOString(),
    };
    await deps.syncStore.saveBatches([done]);
    return { kind: 'applied', batch: done };
  } catch (error) {
    await deps.syncStore
      .saveBatches([{ ...batch, attempts: batch.attempts + 1, lastError: errorMessage(error) }])
      .catch(() => undefined);
    throw error;
  }
}

/** After the last delivery: the part shows as failed; the next round sends it again. */
export async function failSyncBatch(
  deps: { syncStore: SyncStore },
  message: SyncBatchMessage,
  reason: string,
): Promise<void> {
  const batch = await deps.syncStore.getBatch(message.roundId, message.seq);
  if (!batch || batch.status === 'done') return;
  await deps.syncStore.saveBatches([asFailed(batch, reason)]);
}
