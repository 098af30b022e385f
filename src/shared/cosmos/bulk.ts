import { Container, OperationInput, OperationResponse } from '@azure/cosmos';
import { setTimeout as sleep } from 'node:timers/promises';
import { RuBudget } from '../migration/ru-budget';

/** The local server and the SDK both take at most 100 operations per bulk call. */
export const BULK_LIMIT = 100;
const RETRYABLE_STATUS = new Set([408, 410, 429, 449, 503]);

/** Spreads the RU budget over bulk calls, learning the real charge per operation as it goes. */
export class BulkPacer {
  private ruPerOperation: number;

  constructor(
    private readonly budget: RuBudget,
    initialRuPerOperation: number,
  ) {
    this.ruPerOperation = initialRuPerOperation;
  }

  async run(container: Container, operations: OperationInput[]): Promise<OperationResponse[]> {
    const estimate = operations.length * this.ruPerOperation;
    await this.budget.take(estimate);
    const responses = await container.items.bulk(operations);
    const charge = responses.reduce((sum, r) => sum + (r?.requestCharge ?? 0), 0);
    this.budget.settle(charge - estimate);
    if (charge > 0) this.ruPerOperation = charge / operations.length;
    return responses;
  }
}

/**
 * One bulk call of at most BULK_LIMIT operations; operations the server answers with a
 * retryable status are sent again with backoff (the throttling plugin already retries a
 * whole-request 429). The result holds each operation's final response, in input order.
 */
export async function bulkWithRetry(
  container: Container,
  operations: OperationInput[],
  pacer: BulkPacer,
  maxRetries: number,
): Promise<(OperationResponse | undefined)[]> {
  const final = new Array<OperationResponse | undefined>(operations.length);
  let pending = operations.map((_, index) => index);
  for (let attempt = 0; pending.length > 0; attempt++) {
    const responses = await pacer.run(
      container,
      pending.map((index) => operations[index]!),
    );
    const retry: number[] = [];
    responses.forEach((response, i) => {
      const index = pending[i]!;
      if (RETRYABLE_STATUS.has(response?.statusCode ?? 0) && attempt < maxRetries)
        retry.push(index);
      else final[index] = response;
    });
    pending = retry;
    if (pending.length > 0) await sleep(Math.min(5_000, 100 * 2 ** attempt));
  }
  return final;
}

/** Splits `items` into calls of BULK_LIMIT. */
export function bulkChunks<T>(items: readonly T[]): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += BULK_LIMIT) chunks.push(items.slice(i, i + BULK_LIMIT));
  return chunks;
}
