import { Container, OperationInput, OperationResponse, RequestOptions } from '@azure/cosmos';
import { setTimeout as sleep } from 'node:timers/promises';
import { Semaphore } from '../concurrency/limits';
import { RuBudget } from '../migration/ru-budget';

/** The local server and the SDK both take at most 100 operations per bulk call. */
export const BULK_LIMIT = 100;
const RETRYABLE_STATUS = new Set([408, 410, 429, 449, 503]);

/**
 * Bulk operations in calls of BULK_LIMIT: at most `maxInFlight` calls in flight for the whole
 * process, shared by every batch (while one batch reads its rows, the others use its share),
 * paced by the RU budget with the charge per operation learned as it goes. Operations the
 * server answers with a retryable status are sent again with backoff (the throttling plugin
 * already retries a whole-request 429).
 */
export class BulkRunner {
  private ruPerOperation: number;
  private readonly inFlight: Semaphore;

  constructor(
    private readonly budget: RuBudget,
    initialRuPerOperation: number,
    maxInFlight: number,
    private readonly maxRetries: number,
  ) {
    this.ruPerOperation = initialRuPerOperation;
    this.inFlight = new Semaphore(maxInFlight);
  }

  /** Each operation's final response, in input order. */
  async runAll(
    container: Container,
    operations: OperationInput[],
    options?: RequestOptions,
  ): Promise<(OperationResponse | undefined)[]> {
    const responses = new Array<OperationResponse | undefined>(operations.length);
    const calls: Promise<void>[] = [];
    for (let start = 0; start < operations.length; start += BULK_LIMIT) {
      const call = operations.slice(start, start + BULK_LIMIT);
      calls.push(
        this.inFlight.use(async () => {
          (await this.withRetry(container, call, options)).forEach(
            (r, i) => (responses[start + i] = r),
          );
        }),
      );
    }
    await Promise.all(calls);
    return responses;
  }

  private async withRetry(
    container: Container,
    operations: OperationInput[],
    options: RequestOptions | undefined,
  ): Promise<(OperationResponse | undefined)[]> {
    const final = new Array<OperationResponse | undefined>(operations.length);
    let pending = operations.map((_, index) => index);
    for (let attempt = 0; pending.length > 0; attempt++) {
      const responses = await this.paced(
        container,
        pending.map((index) => operations[index]!),
        options,
      );
      const retry: number[] = [];
      responses.forEach((response, i) => {
        const index = pending[i]!;
        if (RETRYABLE_STATUS.has(response?.statusCode ?? 0) && attempt < this.maxRetries) {
          retry.push(index);
        } else final[index] = response;
      });
      pending = retry;
      if (pending.length > 0) await sleep(Math.min(5_000, 100 * 2 ** attempt));
    }
    return final;
  }

  private async paced(
    container: Container,
    operations: OperationInput[],
    options: RequestOptions | undefined,
  ): Promise<OperationResponse[]> {
    const estimate = operations.length * this.ruPerOperation;
    await this.budget.take(estimate);
    // A copy per call: the SDK may annotate the options it is given (it does with encryption).
    const responses = await container.items.bulk(operations, undefined, options && { ...options });
    const charge = responses.reduce((sum, r) => sum + (r?.requestCharge ?? 0), 0);
    this.budget.settle(charge - estimate);
    if (charge > 0) this.ruPerOperation = charge / operations.length;
    return responses;
  }
}
