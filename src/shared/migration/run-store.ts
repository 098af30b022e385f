import { EntityName } from '../entities/entity';
import { RowErrorRecord } from '../entities/row-error';
import { BatchRecord, RunRecord } from './records';

/** Where runs, batches and row errors are kept (the `migration` container in Cosmos). */
export interface RunStore {
  /** Records the batches, then the run: a run that exists is fully planned. */
  createRun(run: RunRecord, batches: BatchRecord[]): Promise<void>;
  saveRun(run: RunRecord): Promise<void>;
  getRun(runId: string): Promise<RunRecord | undefined>;
  getBatch(runId: string, batchId: string): Promise<BatchRecord | undefined>;
  getBatches(run: RunRecord): Promise<BatchRecord[]>;
  saveBatch(batch: BatchRecord): Promise<void>;
  saveRowErrors(runId: string, batchId: string, errors: RowErrorRecord[]): Promise<void>;
  listRowErrors(runId: string): Promise<RowErrorRecord[]>;
  /** The run currently holding each entity, if any. */
  entityHolders(entities: EntityName[]): Promise<Map<EntityName, string>>;
  holdEntities(runId: string, entities: EntityName[]): Promise<void>;
}
