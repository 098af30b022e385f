import { errorMessage } from '../../errors/app-error';
import { ReplayQueue } from '../replay-queue';
import { StoreName } from '../repository';
import { CopyOutcome, RecordCopier } from './record-copier';

export interface ReplayDeps {
  queue: ReplayQueue;
  /** By the store that missed the write. */
  copiers: Record<StoreName, RecordCopier>;
  /** Whether the sync is applying PostgreSQL's changes to Cosmos (then it repairs Cosmos's misses). */
  syncApplies(): Promise<boolean>;
}

export interface ReplaySummary {
  /** Records copied to the store that missed them. */
  replayed: number;
  /** Cosmos misses the running sync repairs by itself. */
  leftToSync: number;
  /** Copies that failed this pass; their entries stay, with the error, for the next one. */
  failed: { entry: string; error: string }[];
  /** Entries still waiting after this pass. */
  pending: number;
}

/**
 * One pass over the replay queue, oldest first and one record at a time, so that a parent
 * missed before its children is copied before them. An entry is removed only after its record
 * was copied and only if no newer miss refreshed it meanwhile.
 */
export async function replayWrites(deps: ReplayDeps, limit: number): Promise<ReplaySummary> {
  const summary: ReplaySummary = { replayed: 0, leftToSync: 0, failed: [], pending: 0 };
  const entries = await deps.queue.oldest(limit);
  let syncApplies: boolean | undefined;
  for (const entry of entries) {
    if (entry.target === 'cosmos') syncApplies ??= await deps.syncApplies();
    let outcome: CopyOutcome | 'left-to-sync';
    try {
      outcome =
        entry.target === 'cosmos' && syncApplies
          ? 'left-to-sync'
          : await deps.copiers[entry.target].copy(entry.ref);
    } catch (error) {
      const message = errorMessage(error);
      summary.failed.push({ entry: entry.id, error: message });
      await deps.queue.retryLater(entry, message);
      continue;
    }
    if (!(await deps.queue.resolve(entry))) continue;
    if (outcome === 'left-to-sync') summary.leftToSync++;
    else summary.replayed++;
  }
  summary.pending = await deps.queue.pending();
  return summary;
}
