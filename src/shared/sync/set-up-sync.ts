import { ChangeCapture } from './replication';
import { emptyEntityTotals, SyncState } from './records';
import { SyncStore } from './sync-store';

export interface SetUpDeps {
  capture: ChangeCapture;
  syncStore: SyncStore;
}

/**
 * Before a full load plans its batches: the publication, then the slot, so that every change
 * committed after the slot's start is in the slot and every row committed before it is read by
 * the load. A sync already following keeps its slot (it holds every change since it started)
 * and now waits for this load too: re-reading by key makes the overlap harmless.
 */
export async function setUpSync(deps: SetUpDeps, runId: string): Promise<SyncState> {
  const existing = await deps.syncStore.get();
  if (existing && existing.status !== 'stopped') {
    const held: SyncState = { ...existing, runId, status: 'holding' };
    await deps.syncStore.save(held);
    return held;
  }
  const setUp = await deps.capture.setUp();
  const state: SyncState = {
    id: 'sync',
    pk: 'sync',
    type: 'syncState',
    slot: setUp.slot,
    publication: setUp.publication,
    startLsn: setUp.startLsn,
    runId,
    status: 'holding',
    createdAt: new Date().toISOString(),
    confirmedLsn: setUp.startLsn,
    totals: { changesRead: 0, rounds: 0, entities: emptyEntityTotals() },
    lastRound: null,
    rowErrors: [],
    error: null,
  };
  await deps.syncStore.save(state);
  return state;
}
