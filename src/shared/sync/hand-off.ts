import { setTimeout as sleep } from 'node:timers/promises';
import { SyncHandOff } from '../cutover/ports';
import { AppError } from '../errors/app-error';
import { CatchUpResult } from './catch-up';
import { SyncStatus } from './records';
import { ChangeStream } from './replication';
import { SyncStore } from './sync-store';

export interface HandOffDeps {
  stream: Pick<ChangeStream, 'tryLockRound'>;
  syncStore: SyncStore;
  /** One catch-up as this host runs it (a fanned-out round's parts go to its workers). */
  catchUp: () => Promise<CatchUpResult>;
  /** How long a drain may take before the move is refused. */
  drainTimeoutMs: number;
  /** Drops the slot and the publication (`stopSync`). */
  stop: () => Promise<{ tearDown: { droppedSlot: boolean } }>;
}

const RETRY_MS = 1_000;

/**
 * The sync's side of the cosmos-primary stage: before Cosmos takes writes first, everything
 * PostgreSQL committed is applied, then the sync pauses (under the round lock, so no round in
 * flight writes its status over the pause). The slot stays: what PostgreSQL commits while
 * paused is applied when a rollback resumes the sync.
 */
export function syncHandOff(deps: HandOffDeps): SyncHandOff {
  return {
    async drainAndPause() {
      const deadline = Date.now() + deps.drainTimeoutMs;
      let changesApplied = 0;
      for (;;) {
        const result = await deps.catchUp();
        changesApplied += result.changesRead;
        if (result.outcome === 'caught-up' || result.outcome === 'paused') break;
        if (result.outcome === 'holding')
          throw new AppError('SYNC_HOLDING', `the sync cannot drain: ${result.reason}`, 409);
        if (Date.now() > deadline)
          throw new AppError(
            'SYNC_NOT_DRAINED',
            `the sync did not catch up within ${Math.round(deps.drainTimeoutMs / 1000)} s (last: ${result.outcome})`,
            409,
          );
        // Busy, fanned out, or waiting for parts: the workers are on it.
        if (result.outcome !== 'round-limit') await sleep(RETRY_MS);
      }
      await setStatus(deps, 'paused');
      return { changesApplied };
    },
    async resume() {
      await setStatus(deps, 'following');
    },
    async stop() {
      try {
        return { droppedSlot: (await deps.stop()).tearDown.droppedSlot };
      } catch (error) {
        // No sync was ever set up here: there is no slot to keep WAL.
        if (error instanceof AppError && error.code === 'SYNC_NOT_SET_UP')
          return { droppedSlot: false };
        throw error;
      }
    },
  };
}

async function setStatus(deps: HandOffDeps, status: SyncStatus): Promise<void> {
  const deadline = Date.now() + deps.drainTimeoutMs;
  for (;;) {
    const lock = await deps.stream.tryLockRound();
    if (lock) {
      try {
        const state = await deps.syncStore.get();
        if (!state || state.status === 'stopped')
          throw new AppError('SYNC_NOT_SET_UP', 'no sync is running for this target', 404);
        if (state.status !== status) await deps.syncStore.save({ ...state, status });
        return;
      } finally {
        await lock.release().catch(() => undefined);
      }
    }
    if (Date.now() > deadline)
      throw new AppError('SYNC_BUSY', 'a sync round held the round lock throughout', 409);
    await sleep(RETRY_MS);
  }
}
