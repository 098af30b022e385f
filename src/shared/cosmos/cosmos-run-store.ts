import { Container, CosmosClient, JSONObject, OperationInput } from '@azure/cosmos';
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
import { MIGRATION_CONTAINER } from './containers';
import { AppError } from '../errors';

const LOCK_PARTITION = 'locks';
const BULK_LIMIT = 100;

interface LockDocument {
  id: string;
  pk: string;
  type: 'entityLock';
  entity: EntityName;
  runId: string;
}

/** Keeps run state in the `migration` container, read by point reads (queries scan locally). */
export class CosmosRunStore implements RunStore {
  private readonly container: Container;

  constructor(
    client: CosmosClient,
    database: string,
    private readonly writer: DocumentWriter,
  ) {
    this.container = client.database(database).container(MIGRATION_CONTAINER);
  }

  async createRun(run: RunRecord, batches: BatchRecord[]): Promise<void> {
    await this.upsertAll(batches as unknown as JSONObject[]);
    await this.saveRun(run);
  }

  async saveRun(run: RunRecord): Promise<void> {
    await this.container.items.upsert(run);
  }

  getRun(runId: string): Promise<RunRecord | undefined> {
    return this.read<RunRecord>(runId, runPartition(runId));
  }

  getBatch(runId: string, id: string): Promise<BatchRecord | undefined> {
    return this.read<BatchRecord>(id, runPartition(runId));
  }

  async getBatches(run: RunRecord): Promise<BatchRecord[]> {
    const ids = run.entities.flatMap((entity) =>
      Array.from({ length: run.plan[entity]?.batches ?? 0 }, (_, seq) =>
        batchId(run.runId, entity, seq),
      ),
    );
    const batches: BatchRecord[] = [];
    for (let i = 0; i < ids.length; i += BULK_LIMIT) {
      const operations: OperationInput[] = ids.slice(i, i + BULK_LIMIT).map((id) => ({
        operationType: 'Read',
        id,
        partitionKey: run.pk,
      }));
      const responses = await this.container.items.bulk(operations);
      for (const response of responses) {
        if (response.statusCode === 200)
          batches.push(response.resourceBody as unknown as BatchRecord);
      }
    }
    return batches;
  }

  async saveBatch(batch: BatchRecord): Promise<void> {
    await this.container.items.upsert(batch);
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
    await this.upsertAll(documents as unknown as JSONObject[]);
  }

  async listRowErrors(runId: string): Promise<RowErrorRecord[]> {
    // The partitionKey option is not enough on every server: filter on pk in the query too.
    const { resources } = await this.container.items
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
      const lock = await this.read<LockDocument>(`lock:${entity}`, LOCK_PARTITION);
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
      await this.container.items.upsert(lock);
    }
  }

  private async read<T extends object>(id: string, pk: string): Promise<T | undefined> {
    try {
      const { resource } = await this.container.item(id, pk).read<T & { id: string }>();
      return resource ?? undefined;
    } catch (error) {
      if ((error as { code?: number }).code === 404) return undefined;
      throw error;
    }
  }

  private async upsertAll(documents: JSONObject[]): Promise<void> {
    const result = await this.writer.upsertAll(MIGRATION_CONTAINER, documents as never);
    if (result.rejected.length > 0) {
      const first = result.rejected[0]!;
      throw new AppError(
        'STATE_WRITE_FAILED',
        `could not record migration state ${first.id}: ${first.message}`,
      );
    }
  }
}
