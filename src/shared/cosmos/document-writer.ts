import {
  Container,
  CosmosClient,
  JSONObject,
  OperationInput,
  OperationResponse,
} from '@azure/cosmos';
import { setTimeout as sleep } from 'node:timers/promises';
import { CosmosDocument } from '../entities/entity';
import { RuBudget } from '../migration/ru-budget';
import { mapConcurrent } from '../concurrency';

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
}

/** The local server and the SDK both take at most 100 operations per bulk call. */
const BULK_LIMIT = 100;
const RETRYABLE_STATUS = new Set([408, 410, 429, 449, 503]);
const INITIAL_RU_PER_DOCUMENT = 10;

/**
 * Bulk upserts in calls of 100, `concurrency` calls in flight. Operations the server answers
 * with a retryable status are retried (the throttling plugin handles whole-request 429s);
 * operations it rejects (400, 413, ...) come back as `rejected` for the caller to report.
 */
export class CosmosDocumentWriter implements DocumentWriter {
  private ruPerDocument = INITIAL_RU_PER_DOCUMENT;

  constructor(
    private readonly client: CosmosClient,
    private readonly database: string,
    private readonly budget: RuBudget,
    private readonly concurrency: number,
    private readonly maxRetries = 30,
  ) {}

  async upsertAll(containerName: string, documents: CosmosDocument[]): Promise<WriteResult> {
    const container = this.client.database(this.database).container(containerName);
    const chunks: CosmosDocument[][] = [];
    for (let i = 0; i < documents.length; i += BULK_LIMIT)
      chunks.push(documents.slice(i, i + BULK_LIMIT));
    const results = await mapConcurrent(chunks, this.concurrency, (chunk) =>
      this.writeChunk(container, chunk),
    );
    return {
      written: results.reduce((sum, r) => sum + r.written, 0),
      rejected: results.flatMap((r) => r.rejected),
    };
  }

  private async writeChunk(container: Container, chunk: CosmosDocument[]): Promise<WriteResult> {
    const rejected: RejectedDocument[] = [];
    let written = 0;
    let pending = chunk;
    for (let attempt = 0; pending.length > 0; attempt++) {
      const estimate = pending.length * this.ruPerDocument;
      await this.budget.take(estimate);
      const operations: OperationInput[] = pending.map((doc) => ({
        operationType: 'Upsert',
        partitionKey: doc.pk,
        resourceBody: doc as unknown as JSONObject,
      }));
      const responses: OperationResponse[] = await container.items.bulk(operations);
      const charge = responses.reduce((sum, r) => sum + (r?.requestCharge ?? 0), 0);
      this.budget.settle(charge - estimate);
      if (charge > 0) this.ruPerDocument = charge / pending.length;
      const retry: CosmosDocument[] = [];
      responses.forEach((response, i) => {
        const doc = pending[i]!;
        const status = response?.statusCode ?? 0;
        if (status >= 200 && status < 300) written++;
        else if (RETRYABLE_STATUS.has(status) && attempt < this.maxRetries) retry.push(doc);
        else
          rejected.push({ id: doc.id, pk: doc.pk, status, message: describeRejection(response) });
      });
      pending = retry;
      if (pending.length > 0) await sleep(Math.min(5_000, 100 * 2 ** attempt));
    }
    return { written, rejected };
  }
}

function describeRejection(response: OperationResponse | undefined): string {
  const body = response?.resourceBody as { message?: string } | undefined;
  const detail = body?.message ? `: ${String(body.message).slice(0, 300)}` : '';
  return `Cosmos rejected the document with status ${response?.statusCode ?? 'unknown'}${detail}`;
}
