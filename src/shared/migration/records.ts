import { EntityName } from '../entities/entity';
import { RowErrorRecord } from '../entities/row-error';
import { KeyRange } from '../postgres/source-reader';

/** A migration run as planned; its progress is derived from its batches. */
export interface RunRecord {
  id: string;
  pk: string;
  type: 'run';
  runId: string;
  entities: EntityName[];
  batchSize: number;
  createdAt: string;
  plan: Partial<Record<EntityName, { sourceRows: number; batches: number }>>;
  /** How many times the run was resumed; part of the resent messages' ids. */
  resumes: number;
  /** The continuous sync that captures changes from before this load on; null: a one-shot copy. */
  sync?: { slot: string; startLsn: string } | null;
}

export type BatchStatus = 'queued' | 'running' | 'done' | 'failed';

export interface BatchStats {
  rowsRead: number;
  rowsMigrated: number;
  documentsWritten: number;
  rowErrors: number;
  requestCharge: number;
  throttled: number;
  durationMs: number;
  findings: Record<string, number>;
}

export interface BatchRecord extends BatchStats {
  id: string;
  pk: string;
  type: 'batch';
  runId: string;
  entity: EntityName;
  seq: number;
  range: KeyRange;
  status: BatchStatus;
  attempts: number;
  startedAt: string | null;
  finishedAt: string | null;
  lastError: string | null;
}

/** The message a worker receives: enough to find its batch. */
export interface BatchMessage {
  runId: string;
  batchId: string;
  entity: EntityName;
}

export interface RowErrorDocument extends Omit<RowErrorRecord, 'id'> {
  id: string;
  rowId: string;
  pk: string;
  type: 'rowError';
  runId: string;
  batchId: string;
}

export const runPartition = (runId: string) => `run:${runId}`;

export const batchId = (runId: string, entity: EntityName, seq: number) =>
  `${runId}:${entity}:${String(seq).padStart(6, '0')}`;

export const emptyStats = (): BatchStats => ({
  rowsRead: 0,
  rowsMigrated: 0,
  documentsWritten: 0,
  rowErrors: 0,
  requestCharge: 0,
  throttled: 0,
  durationMs: 0,
  findings: {},
});
