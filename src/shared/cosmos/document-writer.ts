import {
  Container,
  CosmosClient,
  JSONObject,
  OperationInput,
  OperationResponse,
} from '@azure/cosmos';
import { CosmosDocument } from '../entities/entity';
import { RuBudget } from '../migration/ru-budget';
import { Semaphore } from '../concurrency';
import { BulkPacer, bulkChunks, bulkWithRetry } from './bulk';
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

/**
 * Bulk upserts and deletes in calls of 100, retrying what the server answers with a retryable
 * status; operations it rejects (400, 413, ...) come back as `rejected` for the caller to
 * report. At most `maxInFlight` calls are in flight for the whole process, shared by every
 * batch: while one batch reads its rows, the others use its share.
 */
export class CosmosDocumentWriter implements DocumentWriter {
  private readonly pacer: BulkPacer;
  private readonly inFlight: Semaphore;

  constructor(
    private readonly client: CosmosClient,
    private readonly database: string,
    budget: RuBudget,
    maxInFlight: number,
    private readonly maxRetries = 30,
  ) {
    this.pacer = new BulkPacer(budget, INITIAL_RU_PER_DOCUMENT);
    this.inFlight = new Semaphore(maxInFlight);
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
    const chunks = bulkChunks(documents);
    const results = await Promise.all(
      chunks.map((chunk) =>
        this.inFlight.use(() => this.writeChunk(container, chunk, operation, alsoFine)),
      ),
    );
    return {
      written: results.reduce((sum, r) => sum + r.written, 0),
      rejected: results.flatMap((r) => r.rejected),
    };
  }

  private async writeChunk<T extends DocumentRef>(
    container: Container,
    chunk: T[],
    operation: (document: T) => OperationInput,
    alsoFine?: number,
  ): Promise<WriteResult> {
    const responses = await bulkWithRetry(
      container,
      chunk.map(operation),
      this.pacer,
      this.maxRetries,
    );
    const result: WriteResult = { written: 0, rejected: [] };
    responses.forEach((response, i) => {
      const status = response?.statusCode ?? 0;
      if ((status >= 200 && status < 300) || status === alsoFine) result.written++;
      else {
        const { id, pk } = chunk[i]!;
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
