import { CosmosClient } from '@azure/cosmos';
import { EntityName } from '../entities/entity';
import { RowErrorRecord } from '../entities/row-error';
import {
  BatchRecord,
  batchId,
  RowErrorDocument,
  RunRecord,
  runPartition,
} from '../migration/records';
import { RunStore } from '../migration/run-store';
import { DocumentWriter } from './document-writer';
import { StateContainer } from './state-container';

const LOCK_PARTITION = 'locks';

interface LockDocument {
  id: string;
  pk: string;
  type: 'entityLock';
  entity: EntityName;
  runId: string;
}

/** Keeps run state in the `migration` container, read by point reads (queries scan locally). */
export class CosmosRunStore implements RunStore {
  private readonly state: StateContainer;

  constructor(client: CosmosClient, database: string, writer: DocumentWriter) {
    this.state = new StateContainer(client, database, writer);
  }

  async createRun(run: RunRecord, batches: BatchRecord[]): Promise<void> {
    await this.state.upsertAll(batches);
    await this.saveRun(run);
  }

  async saveRun(run: RunRecord): Promise<void> {
    await this.state.upsert(run);
  }

  getRun(runId: string): Promise<RunRecord | undefined> {
    return this.state.read<RunRecord>(runId, runPartition(runId));
  }

  getBatch(runId: string, id: string): Promise<BatchRecord | undefined> {
    return this.state.read<BatchRecord>(id, runPartition(runId));
  }

  async getBatches(run: RunRecord): Promise<BatchRecord[]> {
    const ids = run.entities.flatMap((entity) =>
      Array.from({ length: run.plan[entity]?.batches ?? 0 }, (_, seq) =>
        batchId(run.runId, entity, seq),
      ),
    );
    return this.state.readAll<BatchRecord>(ids, run.pk);
  }

  async saveBatch(batch: BatchRecord): Promise<void> {
    await this.state.upsert(batch);
  }

  async saveRowErrors(runId: string, batch: string, errors: RowErrorRecord[]): Promise<void> {
    const documents: RowErrorDocument[] = errors.map(({ id, table, code, message }) => ({
      id: `rowError:${runId}:${table}:${id}`,
      pk: runPartition(runId),
      type: 'rowError',
      runId,
      batchId: batch,
      table,
      rowId: id,
      code,
      message,
    }));
    await this.state.upsertAll(documents);
  }

  async listRowErrors(runId: string): Promise<RowErrorRecord[]> {
    // The partitionKey option is not enough on every server: filter on pk in the query too.
    const { resources } = await this.state.container.items
      .query<RowErrorDocument>(
        {
          query: 'SELECT * FROM c WHERE c.pk = @pk AND c.type = @type',
          parameters: [
            { name: '@pk', value: runPartition(runId) },
            { name: '@type', value: 'rowError' },
          ],
        },
        { partitionKey: runPartition(runId) },
      )
      .fetchAll();
    return resources
      .map(({ table, rowId, code, message }) => ({ table, id: rowId, code, message }))
      .sort((a, b) => a.table.localeCompare(b.table) || a.id.localeCompare(b.id));
  }

  async entityHolders(entities: EntityName[]): Promise<Map<EntityName, string>> {
    const holders = new Map<EntityName, string>();
    for (const entity of entities) {
      const lock = await this.state.read<LockDocument>(`lock:${entity}`, LOCK_PARTITION);
      if (lock) holders.set(entity, lock.runId);
    }
    return holders;
  }

  async holdEntities(runId: string, entities: EntityName[]): Promise<void> {
    for (const entity of entities) {
      const lock: LockDocument = {
        id: `lock:${entity}`,
        pk: LOCK_PARTITION,
        type: 'entityLock',
        entity,
        runId,
      };
      await this.state.upsert(lock);
    }
  }
}
