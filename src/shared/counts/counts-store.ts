import { ChangedDocument, ParentRef } from './parents';

/** A result and the request units it cost. */
export interface Charged<T> {
  value: T;
  ru: number;
}

/** The values a parent holds, by patch path (`/engagement/commentCount`, ...), and its version. */
export interface StoredParent {
  etag: string;
  /** `timestamps.updatedAt` (a post's own activity). */
  updatedAt: string | null;
  fields: Record<string, unknown>;
}

/** What the parent's own children partitions hold now, tombstones excluded. */
export interface ChildTally {
  /** A post's comments: their number and the newest `createdAt`. */
  comments?: { count: number; newest: string | null };
  /** A comment's direct replies. */
  replies?: number;
  votes: { byType: Record<string, number>; newest: string | null };
}

/** `written` carries the parent's new etag, so a verify pass need not read it again. */
export type PatchOutcome =
  { status: 'written'; etag: string } | { status: 'conflict' } | { status: 'missing' };

/** A parent the recount could not bring up to date, for a later reconcile. */
export interface CountsFailureRecord {
  id: string;
  pk: typeof COUNTS_FAILURE_PK;
  type: 'countsFailure';
  parent: ParentRef;
  /** The function (or caller) whose batch failed. */
  source: string;
  code: string;
  reason: string;
  recordedAt: string;
}

export const COUNTS_FAILURE_PK = 'counts';

export const countsFailureId = (ref: ParentRef): string => `countsFailure:${ref.kind}:${ref.id}`;

/** Where the counts use case reads children and parents, and writes parents. */
export interface CountsStore {
  readParent(ref: ParentRef): Promise<Charged<StoredParent | undefined>>;
  tally(ref: ParentRef): Promise<Charged<ChildTally>>;
  /** Sets these paths only if the parent still has this etag: `conflict` when it changed. */
  patchParent(
    ref: ParentRef,
    etag: string,
    set: Record<string, unknown>,
  ): Promise<Charged<PatchOutcome>>;
  /** Upserts failure records in the `migration` container (one per parent). */
  recordFailures(records: CountsFailureRecord[]): Promise<void>;
  /** Recorded failures, oldest first, at most `limit`, each with the etag it was read at. */
  listFailures(limit: number): Promise<RecordedFailure[]>;
  /** Deletes a failure record unless it was recorded again since it was listed. */
  clearFailure(failure: RecordedFailure): Promise<void>;
  /**
   * Comments, votes and their tombstones written at or after `since` (epoch seconds, the
   * documents' `_ts`), at most `limit` per container; `truncated` when there were more.
   */
  changedSince(
    since: number,
    limit: number,
  ): Promise<Charged<{ documents: ChangedDocument[]; truncated: boolean }>>;
}

export interface RecordedFailure {
  record: CountsFailureRecord;
  etag: string;
}
