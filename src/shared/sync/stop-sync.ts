import { AppError } from '../errors/app-error';
import { SyncState } from './records';
import { ChangeCapture, TearDownResult } from './replication';
import { SyncStore } from './sync-store';

/**
 * Drops the slot and the publication (a slot left behind keeps WAL on the source until its
 * disk fills) and marks the sync stopped; its figures stay readable. Safe to repeat.
 */
export async function stopSync(deps: {
  capture: Pick<ChangeCapture, 'tearDown'> & { names: { slot: string } };
  syncStore: SyncStore;
}): Promise<{ state: SyncState | null; tearDown: TearDownResult }> {
  const stored = await deps.syncStore.get();
  // Another sync's settings (SYNC_NAME) against this target drop that slot, not this sync.
  const state = stored?.slot === deps.capture.names.slot ? stored : undefined;
  const tearDown = await deps.capture.tearDown();
  if (!state) {
    if (!tearDown.droppedSlot && !tearDown.droppedPublication) {
      throw new AppError(
        'SYNC_NOT_SET_UP',
        'no sync is set up for this target, and no slot or publication of it exists',
        404,
      );
    }
    return { state: null, tearDown };
  }
  const stopped: SyncState = { ...state, status: 'stopped' };
  await deps.syncStore.save(stopped);
  return { state: stopped, tearDown };
}
