import { CosmosClient, JSONObject, OperationInput, OperationResponse } from '@azure/cosmos';
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
}

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
