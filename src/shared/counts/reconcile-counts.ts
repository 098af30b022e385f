import { CountsStore } from './counts-store';
import { dirtyParents, ParentRef, parentKey } from './parents';
import { RecountResult, recountRefs } from './recount-parents';

export interface ReconcileOptions {
  /** Parents whose children were written this far back are recounted too (seconds). */
  windowSeconds: number;
  /** Recorded failures taken per run, and changed documents read per container. */
  maxFailures?: number;
  maxChanged?: number;
  now?: () => Date;
}

export interface ReconcileResult extends RecountResult {
  /** Recorded failures recounted and then cleared. */
  failuresCleared: number;
  /** Recorded failures still failing (recorded again, with the new reason). */
  failuresKept: number;
  /** Comments, votes and tombstones written within the window. */
  changedDocuments: number;
  /** The window held more changes than one run reads: the oldest were left to the feed. */
  truncated: boolean;
  changedRu: number;
}

const DEFAULT_MAX_FAILURES = 1_000;
const DEFAULT_MAX_CHANGED = 10_000;
const SOURCE = 'counts-reconcile';

/**
 * The safety net under the change-feed functions (docs/counts.md): the feed checkpoints a batch even
 * when its handler fails, so whatever the functions recorded as failed is recounted here, and
 * then every parent whose children were written within the window (a batch that failed in a
 * way nothing recorded, a host that stopped mid-batch). Recounts are idempotent, so recounting
 * a parent that was already right writes nothing. A failure record is cleared only once its
 * parent recounted cleanly, and not if it was recorded again meanwhile.
 */
export async function reconcileCounts(
  deps: { store: CountsStore },
  options: ReconcileOptions,
): Promise<ReconcileResult> {
  const { store } = deps;
  const now = options.now?.() ?? new Date();
  const failures = await store.listFailures(options.maxFailures ?? DEFAULT_MAX_FAILURES);
  const since = Math.floor(now.getTime() / 1000) - options.windowSeconds;
  const changed = await store.changedSince(since, options.maxChanged ?? DEFAULT_MAX_CHANGED);

  const parents = new Map<string, ParentRef>();
  for (const { record } of failures) parents.set(parentKey(record.parent), record.parent);
  for (const ref of dirtyParents(changed.value.documents)) parents.set(parentKey(ref), ref);
  const recount = await recountRefs({ store }, [...parents.values()], SOURCE);

  const stillFailing = new Set(recount.failed.map((failure) => parentKey(failure.parent)));
  const settled = failures.filter(({ record }) => !stillFailing.has(parentKey(record.parent)));
  await Promise.all(settled.map((failure) => store.clearFailure(failure)));
  return {
    ...recount,
    failuresCleared: settled.length,
    failuresKept: failures.length - settled.length,
    changedDocuments: changed.value.documents.length,
    truncated: changed.value.truncated,
    changedRu: changed.ru,
  };
}
