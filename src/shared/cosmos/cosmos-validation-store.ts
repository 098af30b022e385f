import { CosmosClient } from '@azure/cosmos';
import { EntityName } from '../entities/entity';
import {
  ValidationBatchRecord,
  validationBatchId,
  validationPartition,
  ValidationRecord,
} from '../validation/records';
import { ValidationStore } from '../validation/validation-store';
import { DocumentWriter } from './document-writer';
import { StateContainer } from './state-container';

const LATEST = { id: 'validation-latest', pk: 'validations' };
const LATEST_FULL = { id: 'validation-latest-full', pk: 'validations' };

export class CosmosValidationStore implements ValidationStore {
  private readonly state: StateContainer;

  constructor(client: CosmosClient, database: string, writer: DocumentWriter) {
    this.state = new StateContainer(client, database, writer);
  }

  async createValidation(
    validation: ValidationRecord,
    batches: ValidationBatchRecord[],
  ): Promise<void> {
    await this.state.upsertAll(batches);
    await this.saveValidation(validation);
  }

  async saveValidation(validation: ValidationRecord): Promise<void> {
    await this.state.upsert(validation);
  }

  getValidation(validationId: string): Promise<ValidationRecord | undefined> {
    return this.state.read<ValidationRecord>(validationId, validationPartition(validationId));
  }

  getBatch(validationId: string, batchId: string): Promise<ValidationBatchRecord | undefined> {
    return this.state.read<ValidationBatchRecord>(batchId, validationPartition(validationId));
  }

  batches(validation: ValidationRecord): AsyncIterable<ValidationBatchRecord[]> {
    const ids = validation.entities.flatMap((entity) =>
      Array.from({ length: validation.plan[entity]?.batches ?? 0 }, (_, seq) =>
        validationBatchId(validation.validationId, entity, seq),
      ),
    );
    return this.batchesById(validation.validationId, ids);
  }

  batchesById(validationId: string, batchIds: string[]): AsyncIterable<ValidationBatchRecord[]> {
    return this.state.readChunks<ValidationBatchRecord>(
      batchIds,
      validationPartition(validationId),
    );
  }

  async saveBatch(batch: ValidationBatchRecord): Promise<void> {
    await this.state.upsert(batch);
  }

  async addBatches(
    validationId: string,
    entity: EntityName,
    batches: ValidationBatchRecord[],
    plannedBatches: number,
  ): Promise<void> {
    await this.state.upsertAll(batches);
    // A patch, not a read-modify-write: censuses of other entities update the same record.
    await this.state.container
      .item(validationId, validationPartition(validationId))
      .patch([{ op: 'set', path: `/plan/${entity}/batches`, value: plannedBatches }]);
  }

  async countRangeDone(validationId: string, entity: EntityName): Promise<ValidationRecord> {
    const { resource } = await this.state.container
      .item(validationId, validationPartition(validationId))
      .patch<ValidationRecord>([{ op: 'incr', path: `/rangesDone/${entity}`, value: 1 }]);
    return resource!;
  }

  async latestValidationId(mode?: 'full'): Promise<string | undefined> {
    const pointer = mode === 'full' ? LATEST_FULL : LATEST;
    const latest = await this.state.read<{ validationId: string }>(pointer.id, pointer.pk);
    return latest?.validationId;
  }

  async setLatestValidation(validationId: string, mode: string): Promise<void> {
    await this.state.upsert({ ...LATEST, type: 'validationPointer', validationId });
    if (mode === 'full')
      await this.state.upsert({ ...LATEST_FULL, type: 'validationPointer', validationId });
  }
}
