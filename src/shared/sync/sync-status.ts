import { AppError } from '../errors/app-error';
import { SyncState } from './records';
import { ChangeStream, SlotStatus } from './replication';
import { SyncStore } from './sync-store';

export interface SyncStatusReport {
  state: SyncState;
  /** The slot as the source sees it; null once stopped, or when the source cannot say (see `slotError`). */
  slot: SlotStatus | null;
  slotError: { code: string; message: string } | null;
}

/** The sync's own record and its slot's health (retained WAL, lag). */
export async function syncStatus(deps: {
  stream: Pick<ChangeStream, 'status'>;
  syncStore: SyncStore;
}): Promise<SyncStatusReport> {
  const state = await deps.syncStore.get();
  if (!state) {
    throw new AppError(
      'SYNC_NOT_SET_UP',
      'no sync is set up for this target: a migrate sets one up',
      404,
    );
  }
  if (state.status === 'stopped') return { state, slot: null, slotError: null };
  try {
    return { state, slot: await deps.stream.status({ lag: true }), slotError: null };
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    return { state, slot: null, slotError: { code: error.code, message: error.message } };
  }
}
