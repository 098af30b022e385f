import {
  Container,
  CosmosClient,
  JSONObject,
  OperationInput,
  OperationResponse,
} from '@azure/cosmos';
import { mapConcurrent } from '../concurrency/limits';
import { CosmosDocument } from '../entities/entity';
import { RuBudget } from '../migration/ru-budget';
import { BulkRunner } from './bulk';
import { DocumentRef } from './document-reader';

export interface RejectedDocument {
  id: string;
  pk: string;
  status: number;
  message: string;
}

export interface WriteResult {
  written: number;
  rejected: RejectedDocument[];
}

/** Writes documents idempotently (upserts of deterministic ids). */
export interface DocumentWriter {
  upsertAll(container: string, documents: CosmosDocument[]): Promise<WriteResult>;
  /** Deletes documents; one already gone counts as deleted. */
  deleteAll(container: string, documents: DocumentRef[]): Promise<WriteResult>;
  /**
   * Deletes each document and writes its tombstone (same partition) in one transactional
   * batch per partition, so no reader of the change feed sees one without the other.
   */
  deleteWithTombstones(container: string, deletions: Deletion[]): Promise<WriteResult>;
}

export interface Deletion {
  deleted: DocumentRef;
  tombstone: CosmosDocument;
}

/** Operations of one transactional batch: Cosmos takes at most 100. */
const BATCH_OPERATIONS = 100;
const BATCHES_IN_FLIGHT = 8;

const INITIAL_RU_PER_DOCUMENT = 10;
/** Cosmos need not echo what was written: the writer only reads status and charge. */
const WITHOUT_ECHO = { contentResponseOnWriteEnabled: false };

/**
 * Bulk upserts and deletes (see BulkRunner); operations the server rejects (400, 413, ...)
 * come back as `rejected` for the caller to report.
 */
export class CosmosDocumentWriter implements DocumentWriter {
  private readonly bulk: BulkRunner;

  constructor(
    private readonly client: CosmosClient,
    private readonly database: string,
    budget: RuBudget,
    maxInFlight: number,
    maxRetries = 30,
  ) {
    this.bulk = new BulkRunner(budget, INITIAL_RU_PER_DOCUMENT, maxInFlight, maxRetries);
  }

  upsertAll(containerName: string, documents: CosmosDocument[]): Promise<WriteResult> {
    return this.write(containerName, documents, (doc) => ({
      operationType: 'Upsert',
      partitionKey: doc.pk,
      resourceBody: doc as unknown as JSONObject,
    }));
  }

  deleteAll(containerName: string, documents: DocumentRef[]): Promise<WriteResult> {
    return this.write(
      containerName,
      documents,
      (doc) => ({ operationType: 'Delete', id: doc.id, partitionKey: doc.pk }),
      404,
    );
  }

  async deleteWithTombstones(containerName: string, deletions: Deletion[]): Promise<WriteResult> {
    const container = this.client.database(this.database).container(containerName);
    const byPartition = new Map<string, Deletion[]>();
    for (const deletion of deletions) {
      const group = byPartition.get(deletion.deleted.pk) ?? [];
      group.push(deletion);
      byPartition.set(deletion.deleted.pk, group);
    }
    const groups = [...byPartition.values()].flatMap((group) => chunk(group, BATCH_OPERATIONS / 2));
    const results = await mapConcurrent(groups, BATCHES_IN_FLIGHT, (group) =>
      this.deleteGroup(container, group),
    );
    return {
      written: results.reduce((sum, r) => sum + r.written, 0),
      rejected: results.flatMap((r) => r.rejected),
    };
  }

  /** A delete answered 404 (a replayed round) fails the batch: it is dropped and the rest retried. */
  private async deleteGroup(container: Container, group: Deletion[]): Promise<WriteResult> {
    const pending = new Set(group.map((d) => d.deleted.id));
    for (;;) {
      const operations: OperationInput[] = [
        ...group
          .filter((d) => pending.has(d.deleted.id))
          .map((d): OperationInput => ({ operationType: 'Delete', id: d.deleted.id })),
        ...group.map((d): OperationInput => ({
          operationType: 'Upsert',
          resourceBody: d.tombstone as unknown as JSONObject,
        })),
      ];
      const response = await container.items.batch(operations, group[0]!.deleted.pk);
      const failed = (response.result ?? []).findIndex(
        (r) => r.statusCode >= 400 && r.statusCode !== 424,
      );
      if (failed < 0 && (response.code ?? 200) < 400)
        return { written: group.length, rejected: [] };
      const operation = operations[failed];
      const status = response.result?.[failed]?.statusCode ?? response.code ?? 0;
      if (operation?.operationType === 'Delete' && status === 404) {
        pending.delete(operation.id);
        continue;
      }
      return {
        written: 0,
        rejected: group.map(({ deleted }) => ({
          ...deleted,
          status,
          message: `Cosmos rejected the deletion batch with status ${status}`,
        })),
      };
    }
  }

  private async write<T extends DocumentRef>(
    containerName: string,
    documents: T[],
    operation: (document: T) => OperationInput,
    alsoFine?: number,
  ): Promise<WriteResult> {
    const container = this.client.database(this.database).container(containerName);
    const responses = await this.bulk.runAll(container, documents.map(operation), WITHOUT_ECHO);
    const result: WriteResult = { written: 0, rejected: [] };
    responses.forEach((response, i) => {
      const status = response?.statusCode ?? 0;
      if ((status >= 200 && status < 300) || status === alsoFine) result.written++;
      else {
        const { id, pk } = documents[i]!;
        result.rejected.push({ id, pk, status, message: describeRejection(response) });
      }
    });
    return result;
  }
}

function describeRejection(response: OperationResponse | undefined): string {
  const body = response?.resourceBody as { message?: string } | undefined;
  const detail = body?.message ? `: ${String(body.message).slice(0, 300)}` : '';
  return `Cosmos rejected the document with status ${response?.statusCode ?? 'unknown'}${detail}`;
}

function chunk<T>(items: T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}
