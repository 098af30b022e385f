import { ENTITY_NAMES, EntityName } from '../entities/entity';
import { RowErrorRecord } from '../entities/row-error';

/** `paused`: handed back at the cosmos-primary stage; the slot keeps what PostgreSQL commits. */
export type SyncStatus = 'holding' | 'following' | 'failed' | 'paused' | 'stopped';

/** Keys of one fanned-out part of a round, by table. */
export type KeyLists = Record<EntityName, string[]>;

/** A round too large for one invocation: its keys went to the sync queue in parts. */
export interface PendingRound {
  id: string;
  /** Where the slot is advanced once every part is applied. */
  endLsn: string;
  changesRead: number;
  keys: number;
  parts: number;
  startedAt: string;
}

export type SyncBatchStatus = 'queued' | 'done' | 'failed';

/** One part of a fanned-out round, in the `migration` container (partition `sync`). */
export interface SyncBatchRecord {
  id: string;
  pk: 'sync';
  type: 'syncBatch';
  roundId: string;
  seq: number;
  status: SyncBatchStatus;
  attempts: number;
  keys: KeyLists;
  entities: Record<EntityName, EntityTotals> | null;
  rowErrors: number;
  lastError: string | null;
  finishedAt: string | null;
}

/** The sync queue's message: the record holds the keys (a message stays small). */
export interface SyncBatchMessage {
  roundId: string;
  seq: number;
}

export const syncBatchId = (roundId: string, seq: number) => `syncbatch:${roundId}:${seq}`;

export interface EntityTotals {
  documentsUpserted: number;
  documentsDeleted: number;
}

export interface RoundSummary {
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  changesRead: number;
  keys: number;
  /** The slot position after the round (it was advanced there). */
  confirmedLsn: string;
  entities: Record<EntityName, EntityTotals>;
  rowErrors: number;
}

/**
 * The one sync of this target: its slot and publication, whether it may apply (the full load
 * of `runId` must have finished) and what it did. Rounds never overlap: the source's round
 * lock keeps them apart.
 */
export interface SyncState {
  id: 'sync';
  pk: 'sync';
  type: 'syncState';
  slot: string;
  publication: string;
  startLsn: string;
  /** The full load the slot was set up for: nothing is applied before it has finished. */
  runId: string;
  status: SyncStatus;
  createdAt: string;
  confirmedLsn: string;
  totals: { changesRead: number; rounds: number; entities: Record<EntityName, EntityTotals> };
  lastRound: RoundSummary | null;
  /** The latest rows that could not be written, newest last (bounded). */
  rowErrors: RowErrorRecord[];
  error: { code: string; message: string; at: string } | null;
  /** A fanned-out round whose parts are still being applied: no new changes are read until it is done. */
  pendingRound?: PendingRound | null;
}

export const SYNC_STATE_ID = 'sync';

export const emptyEntityTotals = (): Record<EntityName, EntityTotals> =>
  Object.fromEntries(
    ENTITY_NAMES.map((name) => [name, { documentsUpserted: 0, documentsDeleted: 0 }]),
  ) as Record<EntityName, EntityTotals>;
