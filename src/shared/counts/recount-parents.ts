import { isDeepStrictEqual } from 'node:util';
import { mapConcurrent } from '../concurrency/limits';
import { AppError, errorMessage } from '../errors/app-error';
import {
  ChildTally,
  COUNTS_FAILURE_PK,
  countsFailureId,
  CountsFailureRecord,
  CountsStore,
  StoredParent,
} from './counts-store';
import { sortedCounts, totalVotes } from '../entities/vote-counts';
import { ChangedDocument, dirtyParents, ParentRef } from './parents';

export interface RecountDeps {
  store: CountsStore;
  /** Attempts per parent (a 412 or a failed request starts a fresh recount). */
  maxAttempts?: number;
  /** Parents recounted at the same time. */
  concurrency?: number;
  now?: () => Date;
}

export interface FailedParent {
  parent: ParentRef;
  code: string;
  reason: string;
}

export interface RecountResult {
  /** Distinct dirty parents in the batch. */
  parents: number;
  /** Parents patched (a parent written twice, after a verify found newer children, counts once). */
  written: number;
  /** Patches made. */
  writes: number;
  /** Parents whose stored values already equalled the recount. */
  unchanged: number;
  /** Parents that do not exist (yet, or any more). */
  missing: number;
  /** 412s: the parent changed between its read and the patch. */
  conflicts: number;
  failed: FailedParent[];
  /** RU of the reads and child aggregates. */
  recountRu: number;
  /** RU of the patches (412s included). */
  writeRu: number;
}

const DEFAULT_ATTEMPTS = 5;
const DEFAULT_CONCURRENCY = 8;

const maxOf = (...values: (string | null | undefined)[]): string | null =>
  values.reduce<string | null>(
    (newest, value) => (value != null && (newest === null || value > newest) ? value : newest),
    null,
  );

/** The values the data model derives from a parent's children, by patch path. */
export function derivedFields(
  ref: ParentRef,
  parent: Pick<StoredParent, 'updatedAt'>,
  tally: ChildTally,
): Record<string, unknown> {
  const byType = sortedCounts(tally.votes.byType);
  const voteCount = totalVotes(byType);
  if (ref.kind === 'post') {
    return {
      '/engagement/commentCount': tally.comments?.count ?? 0,
      '/engagement/voteCount': voteCount,
      '/engagement/voteCounts': byType,
      '/engagement/lastActivityAt': maxOf(
        parent.updatedAt,
        tally.comments?.newest,
        tally.votes.newest,
      ),
    };
  }
  return {
    '/threading/childCount': tally.replies ?? 0,
    '/engagement/voteCount': voteCount,
    '/engagement/voteCounts': byType,
  };
}

/** The derived values that differ from the stored ones (voteCounts regardless of key order). */
export function differences(
  stored: Record<string, unknown>,
  derived: Record<string, unknown>,
): Record<string, unknown> {
  const changed: Record<string, unknown> = {};
  for (const [path, value] of Object.entries(derived)) {
    const current = stored[path];
    const comparable =
      current && typeof current === 'object' && !Array.isArray(current)
        ? sortedCounts(current as Record<string, number>)
        : current;
    if (!isDeepStrictEqual(comparable, value)) changed[path] = value;
  }
  return changed;
}

type ParentOutcome = 'written' | 'unchanged' | 'missing';

/**
 * Recomputes, never increments (docs/counts.md): each distinct dirty parent of a batch of changed
 * comments, votes or tombstones is recounted from its own children partitions and patched only
 * where a value differs, on the etag it was read with. A 412 (someone wrote the parent since)
 * starts a fresh recount; after a write the parent is recounted once more, so children that
 * changed while this recount ran are not left to a stale write. Duplicated or reordered
 * deliveries change nothing: a recount does not depend on the order of the changes.
 * Parents still failing after `maxAttempts` are recorded in the `migration` container.
 */
export function recountParents(
  deps: RecountDeps,
  documents: readonly ChangedDocument[],
  source: string,
): Promise<RecountResult> {
  return recountRefs(deps, dirtyParents(documents), source);
}

/** Recounts these parents (distinct), as `recountParents` does for a batch's dirty ones. */
export async function recountRefs(
  deps: RecountDeps,
  parents: readonly ParentRef[],
  source: string,
): Promise<RecountResult> {
  const { store } = deps;
  const maxAttempts = deps.maxAttempts ?? DEFAULT_ATTEMPTS;
  const result: RecountResult = {
    parents: parents.length,
    written: 0,
    writes: 0,
    unchanged: 0,
    missing: 0,
    conflicts: 0,
    failed: [],
    recountRu: 0,
    writeRu: 0,
  };

  const recountOne = async (ref: ParentRef): Promise<ParentOutcome> => {
    let wrote = false;
    let lastError: unknown;
    // After a write the parent is known (its values and new etag): the verify pass skips the read.
    let known: StoredParent | undefined;
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      try {
        let parent = known;
        known = undefined;
        if (!parent) {
          const read = await store.readParent(ref);
          result.recountRu += read.ru;
          if (!read.value) return 'missing';
          parent = read.value;
        }
        const tally = await store.tally(ref);
        result.recountRu += tally.ru;
        const changed = differences(parent.fields, derivedFields(ref, parent, tally.value));
        if (Object.keys(changed).length === 0) return wrote ? 'written' : 'unchanged';
        const patch = await store.patchParent(ref, parent.etag, changed);
        result.writeRu += patch.ru;
        if (patch.value.status === 'missing') return 'missing';
        if (patch.value.status === 'conflict') {
          result.conflicts++;
          continue;
        }
        result.writes++;
        wrote = true;
        known = { ...parent, etag: patch.value.etag, fields: { ...parent.fields, ...changed } };
        // Verify: the next pass recounts, and writes again only if the children moved on.
      } catch (error) {
        lastError = error;
      }
    }
    throw lastError instanceof Error
      ? lastError
      : new AppError(
          'COUNTS_RECOUNT_UNSETTLED',
          `${ref.kind} ${ref.id} changed under every one of ${maxAttempts} recounts`,
        );
  };

  await mapConcurrent(parents, deps.concurrency ?? DEFAULT_CONCURRENCY, async (ref) => {
    try {
      const outcome = await recountOne(ref);
      result[outcome]++;
    } catch (error) {
      result.failed.push({
        parent: ref,
        code: error instanceof AppError ? error.code : 'COUNTS_RECOUNT_FAILED',
        reason: errorMessage(error),
      });
    }
  });

  if (result.failed.length > 0) {
    const recordedAt = (deps.now?.() ?? new Date()).toISOString();
    const records: CountsFailureRecord[] = result.failed.map((failure) => ({
      id: countsFailureId(failure.parent),
      pk: COUNTS_FAILURE_PK,
      type: 'countsFailure',
      parent: failure.parent,
      source,
      code: failure.code,
      reason: failure.reason,
      recordedAt,
    }));
    await store.recordFailures(records);
  }
  return result;
}
