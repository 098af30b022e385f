import { setTimeout as sleep } from 'node:timers/promises';
import { AppError } from '../errors/app-error';
import { ApplyDeps, applyKeys, ApplyResult } from './apply-keys';
import { ChangeStream } from './replication';
import { SourceKeys } from './source-keys';
import { SyncStore } from './sync-store';

/**
 * Lets validation's repairs write while a sync follows the target without writing behind its
 * back: the work runs holding the sync's round lock (no round interleaves) and rewrites rows
 * through the sync's own apply path, which reads them as they are now. A change committed
 * meanwhile is past the slot's position, so the next round applies it over the repair.
 */
export interface SyncGate {
  /** Runs `work` with rounds paused; undefined, without running it, when no sync follows this target. */
  exclusive<T>(
    work: (apply: (keys: SourceKeys) => Promise<ApplyResult>) => Promise<T>,
  ): Promise<T | undefined>;
}

const POLL_MS = 200;

export function createSyncGate(
  deps: ApplyDeps & { stream: Pick<ChangeStream, 'tryLockRound'>; syncStore: SyncStore },
  waitMs = 120_000,
): SyncGate {
  return {
    async exclusive(work) {
      const state = await deps.syncStore.get();
      if (!state || state.status === 'stopped') return undefined;
      const deadline = Date.now() + waitMs;
      for (;;) {
        const lock = await deps.stream.tryLockRound();
        // A fanned-out round's parts write without the lock: wait until the round is done.
        const pending = lock ? (await deps.syncStore.get())?.pendingRound : undefined;
        if (lock && !pending) {
          try {
            return await work((keys) => applyKeys(deps, keys));
          } finally {
            await lock.release().catch(() => undefined);
          }
        }
        await lock?.release().catch(() => undefined);
        if (Date.now() > deadline) {
          throw new AppError(
            'SYNC_BUSY',
            `a sync round held the source for over ${waitMs / 1000} s; try the repair again`,
            503,
          );
        }
        await sleep(POLL_MS);
      }
    },
  };
}
