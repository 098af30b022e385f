import type { EntityName } from '../../entities/entity';
import type { Lsn } from './lsn';

/**
 * What continuous sync needs from the source: the changes committed since the last round, a
 * way to say "applied up to here", and the slot's health. Plain values only, so a round can be
 * tested without PostgreSQL and an adapter swapped without touching the round.
 */
export interface ChangeStream {
  /**
   * The changes committed since the last advance, whole transactions only, oldest first, up
   * to the source's flushed WAL position at the start of the call. Reading moves nothing:
   * without `advance`, the next read returns the same changes again (a crashed round replays).
   */
  read(options: ReadOptions): Promise<ChangeBatch>;
  /** Marks everything before `lsn` as applied (a batch's `endLsn`); a position already passed is a no-op. */
  advance(lsn: Lsn): Promise<AdvanceResult>;
  /** The slot's health; raises SYNC_SLOT_LOST when it is gone. */
  status(options?: StatusOptions): Promise<SlotStatus>;
  /**
   * The single-flight guard for a round (read, apply, advance): null when another process
   * holds it. Two overlapping rounds would each apply what they read, and an older re-read
   * can land after a newer one; the guard keeps one round at a time across every instance.
   */
  tryLockRound(): Promise<RoundLock | null>;
}

/** Creating and removing what the stream reads from: before a full load, and after the cut-over. */
export interface ChangeCapture {
  /**
   * Creates the publication, then the slot, and returns the slot's start: every change
   * committed after `startLsn` is in the slot, every row committed before it is visible to a
   * full load that starts after this returns.
   */
  setUp(options?: SetUpOptions): Promise<SyncSetUp>;
  /** Drops the slot (it holds WAL on the source until then) and the publication; idempotent. */
  tearDown(options?: TearDownOptions): Promise<TearDownResult>;
}

export interface ReadOptions {
  /**
   * Bounds the round: decoded messages, counting each transaction's begin and commit and the
   * table descriptions pgoutput sends, not only row changes. PostgreSQL rounds up to whole
   * transactions, so one large transaction is returned whole however small this is.
   */
  maxChanges: number;
}

/** Row values as the source pool would return them (timestamps as text, JSON parsed exactly). */
export type RowValues = Record<string, unknown>;

export interface RowKey {
  id: string;
}

interface ChangeBase {
  table: EntityName;
  /** The row's primary key: after the change for inserts and updates, before it for deletes. */
  key: RowKey;
  /** Where this change was logged. */
  lsn: Lsn;
  /** The start of its transaction's commit record. */
  commitLsn: Lsn;
  /** The end of its transaction's commit record: advancing here keeps every later transaction. */
  commitEndLsn: Lsn;
  xid: number;
  /** The commit time, ISO 8601 UTC, to the millisecond. */
  commitTime: string;
}

export interface InsertChange extends ChangeBase {
  op: 'insert';
  /** Every column (unchanged TOAST does not occur in an insert). */
  new: RowValues;
}

export interface UpdateChange extends ChangeBase {
  op: 'update';
  /** The columns the payload carries: a large value that did not change (TOAST) is absent. */
  new: RowValues;
  /** The old row as the table's replica identity logs it: only when the id changed (DEFAULT) or always (FULL). */
  old?: RowValues;
  /** Set when the update changed the id: the row left this key, which a sync must remove. */
  oldKey?: RowKey;
}

export interface DeleteChange extends ChangeBase {
  op: 'delete';
  /** With the default replica identity only the id; every column with REPLICA IDENTITY FULL. */
  old: RowValues;
}

export type Change = InsertChange | UpdateChange | DeleteChange;

export interface ChangeBatch {
  changes: Change[];
  /**
   * Where to advance once every change here is applied: the last transaction's commit end when
   * the read was cut short by maxChanges, otherwise the WAL position the read went up to, so
   * an empty read still lets the source release WAL that holds nothing for this sync.
   */
  endLsn: Lsn;
  /** The read stopped at maxChanges: read again (after advancing) before waiting. */
  more: boolean;
  /** The source's flushed WAL position when the read started (what it read up to). */
  currentLsn: Lsn;
  /** Decoded messages, the unit maxChanges counts. */
  messages: number;
  transactions: number;
}

export interface AdvanceResult {
  /** Where the slot now starts; at or after the position asked for unless the source has not flushed that far. */
  confirmedLsn: Lsn;
  /** False when the slot was already there (a replayed round advancing again). */
  moved: boolean;
}

export interface StatusOptions {
  /**
   * Measure lag by decoding up to the oldest unapplied transaction (default true). It uses the
   * slot for that moment, so a round reading at the same time wins and lag comes back null.
   */
  lag?: boolean;
}

export interface SlotStatus {
  slot: string;
  publication: string;
  database: string;
  /** A session is using the slot right now (a round's read or advance, or a stuck reader). */
  active: boolean;
  activePid: number | null;
  /** `reserved`, `extended` or `unreserved` (about to be lost); a lost slot raises instead. */
  walStatus: string;
  /** WAL the source may still write before it invalidates the slot; null when unlimited (the disk fills instead). */
  safeWalSizeBytes: number | null;
  restartLsn: Lsn;
  confirmedFlushLsn: Lsn;
  currentLsn: Lsn;
  /** WAL the source keeps on disk for this slot: the hazard when a sync is left behind. */
  retainedWalBytes: number;
  /** WAL written since the last advance. */
  unconsumedBytes: number;
  /** Age of the oldest committed change not yet advanced past; 0 when caught up; null when not measured. */
  lagSeconds: number | null;
  oldestUnappliedCommitTime: string | null;
}

export interface RoundLock {
  /** False once the lock's connection has failed: PostgreSQL then released it, so stop before advancing. */
  held(): boolean;
  release(): Promise<void>;
}

export interface SetUpOptions {
  /**
   * How long slot creation may wait (default 60 s). PostgreSQL makes the slot only once every
   * transaction already running has ended, so one long transaction holds it up.
   */
  timeoutMs?: number;
}

export interface SyncSetUp {
  slot: string;
  publication: string;
  startLsn: Lsn;
}

export interface TearDownOptions {
  /** How long to wait for a session using the slot before ending that session (default 10 s). */
  waitMs?: number;
}

export interface TearDownResult {
  droppedSlot: boolean;
  droppedPublication: boolean;
  /** A backend that held the slot and was ended so the slot could be dropped. */
  terminatedPid: number | null;
}
