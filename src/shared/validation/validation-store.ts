import { EntityName } from '../entities/entity';
import { ValidationBatchRecord, ValidationRecord } from './records';

/** Where validations and their batch results are kept (the `migration` container in Cosmos). */
export interface ValidationStore {
  /** Records the batches, then the validation: a validation that exists is fully planned. */
  createValidation(validation: ValidationRecord, batches: ValidationBatchRecord[]): Promise<void>;
  saveValidation(validation: ValidationRecord): Promise<void>;
  getValidation(validationId: string): Promise<ValidationRecord | undefined>;
  getBatch(validationId: string, batchId: string): Promise<ValidationBatchRecord | undefined>;
  /** Every batch of the validation, a few at a time (batches carry their differences). */
  batches(validation: ValidationRecord): AsyncIterable<ValidationBatchRecord[]>;
  /** The batches with these ids that exist, a few at a time. */
  batchesById(validationId: string, batchIds: string[]): AsyncIterable<ValidationBatchRecord[]>;
  saveBatch(batch: ValidationBatchRecord): Promise<void>;
  /** Records more batches of a running validation (the census's extra search). */
  addBatches(
    validationId: string,
    entity: EntityName,
    batches: ValidationBatchRecord[],
    plannedBatches: number,
  ): Promise<void>;
  /** Counts one more finished range batch of the entity, atomically; the updated record. */
  countRangeDone(validationId: string, entity: EntityName): Promise<ValidationRecord>;
  /** The newest full or sample validation, for reports. */
  /** The newest validation started (of `mode` full, when asked: what the cutover's guard judges). */
  latestValidationId(mode?: 'full'): Promise<string | undefined>;
  setLatestValidation(validationId: string, mode: string): Promise<void>;
}
