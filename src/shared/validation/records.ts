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
  /** `batches` grows when a census finds documents the ranges did not: extras to look for. */
  plan: Partial<Record<EntityName, { sourceRows: number; batches: number; ranges: number }>>;
  /** Range batches done per entity (full mode): the last one sends the census. */
  rangesDone: Partial<Record<EntityName, number>>;
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

/**
 * What a validation batch covers. Full mode compares `range`s, then a `census` counts the
 * container: when it holds exactly the documents the ranges found, there is no extra and
 * nothing more to do; otherwise `claims` batches ask, range by range, which stored documents
 * claim a source row there, and an `unattributed` sweep finds those that claim none.
 */
export type BatchScope =
  | { kind: 'range'; range: KeyRange }
  | { kind: 'ids'; ids: string[] }
  | { kind: 'census' }
  | { kind: 'claims'; range: KeyRange }
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
  /** Census only: documents in the container, and those the range batches found. */
  census?: { stored: number; found: number };
}

/** What a worker did with a validation batch message. */
export type ValidationBatchOutcome =
  | { kind: 'validated'; batch: ValidationBatchRecord }
  | { kind: 'skipped'; reason: 'already-done' | 'unknown-batch' | 'ranges-pending' };

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
