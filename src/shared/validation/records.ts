import { EntityName } from '../entities/entity';
import { KeyRange, TimeWindow } from '../postgres/source-reader';

export type ValidationMode = 'full' | 'sample' | 'window';
export type DifferenceClass = 'mismatch' | 'missing' | 'extra';

/** One document that is not as the source says it should be. */
export interface Difference {
  id: string;
  pk: string;
  class: DifferenceClass;
  /** The source row the document belongs to (what a repair re-migrates), when known. */
  sourceId: string | null;
  type: string | null;
  /** JSON pointers of the differing properties (mismatch only). */
  fields: string[];
  /** Expected and actual values per field; passwordHash and email are masked. */
  values?: Record<string, { expected: unknown; actual: unknown }>;
}

export interface ValidationCounts {
  /** Documents classified: matched + mismatched + missing + extra. */
  checked: number;
  matched: number;
  mismatched: number;
  missing: number;
  extra: number;
  /** Source rows that cannot become documents (the migration reports them as row errors). */
  rowErrors: number;
  rowsRead: number;
}

export interface ValidationRecord {
  id: string;
  pk: string;
  type: 'validation';
  validationId: string;
  mode: ValidationMode;
  entities: EntityName[];
  sampleSize: number | null;
  window: TimeWindow | null;
  /** Window validations (recover) repair what they find as they go. */
  repair: boolean;
  /** With repair: also delete documents whose source row is gone. */
  deleteExtras: boolean;
  trigger: 'manual' | 'schedule' | 'recover';
  threshold: number;
  createdAt: string;
  plan: Partial<Record<EntityName, { sourceRows: number; batches: number }>>;
  resumes: number;
  repairs: RepairRecord[];
}

export interface RepairRecord {
  at: string;
  deleteExtras: boolean;
  rowsRewritten: number;
  documentsWritten: number;
  deleted: number;
  rowErrors: number;
}

export type ValidationBatchStatus = 'queued' | 'running' | 'done' | 'failed';

/** How a validation batch picks its rows. */
export type BatchScope =
  | { kind: 'range'; range: KeyRange }
  | { kind: 'ids'; ids: string[] }
  /** Documents of no known kind or without a source key: all extras (full mode, once per entity). */
  | { kind: 'unattributed' };

export interface RepairStats {
  rowsRewritten: number;
  documentsWritten: number;
  deleted: number;
}

export interface ValidationBatchRecord extends ValidationCounts {
  id: string;
  pk: string;
  type: 'validationBatch';
  validationId: string;
  entity: EntityName;
  seq: number;
  scope: BatchScope;
  status: ValidationBatchStatus;
  attempts: number;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number;
  requestCharge: number;
  throttled: number;
  lastError: string | null;
  /** Every difference of this batch (at most a few per row), for repair and reports. */
  differences: Difference[];
  repaired: RepairStats | null;
}

export interface ValidationMessage {
  validationId: string;
  batchId: string;
  entity: EntityName;
}

export const validationPartition = (validationId: string) => `validation:${validationId}`;

export const validationBatchId = (validationId: string, entity: EntityName, seq: number) =>
  `${validationId}:${entity}:${String(seq).padStart(6, '0')}`;

export const emptyCounts = (): ValidationCounts => ({
  checked: 0,
  matched: 0,
  mismatched: 0,
  missing: 0,
  extra: 0,
  rowErrors: 0,
  rowsRead: 0,
});
