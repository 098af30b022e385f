import type { PluginConfig } from '@azure/cosmos';
import { AsyncLocalStorage } from 'node:async_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

/** What the requests made inside one `measureRequests` call cost. */
export interface RequestStats {
  requestCharge: number;
  throttled: number;
}

const current = new AsyncLocalStorage<RequestStats>();

/** Runs `work` and returns what its Cosmos requests cost: RU spent and 429s seen. */
export async function measureRequests<T>(
  work: () => Promise<T>,
): Promise<{ result: T; stats: RequestStats }> {
  const stats: RequestStats = { requestCharge: 0, throttled: 0 };
  const result = await current.run(stats, work);
  return { result, stats };
}

interface CosmosHttpError {
  code?: number | string;
  retryAfterInMs?: number;
  headers?: Record<string, string | undefined>;
}

const TRANSIENT = new Set<number | string>([
  408,
  449,
  503,
  'ECONNRESET',
  'EPIPE',
  'REQUEST_SEND_ERROR',
  'TimeoutError',
]);
const BACKOFF_BASE_MS = 100;
const BACKOFF_MAX_MS = 5_000;

/**
 * A request-level plugin. The SDK retries 429 for point operations, but not for bulk batch
 * requests, where `items.bulk` turns the 429 into a plain Error without its status or
 * `retry-after`. Here, still holding the real response, bulk requests are retried after the
 * server's `retry-after` (429) or with backoff (408/449/503/connection reset). Every request
 * also reports its RU charge and any 429 to the caller's `measureRequests`.
 */
export function throttlingPlugin(maxRetries: number): PluginConfig {
  return {
    on: 'request',
    plugin: async (context, diagnosticNode, next) => {
      const stats = current.getStore();
      for (let attempt = 0; ; attempt++) {
        try {
          const response = await next(context);
          if (stats) stats.requestCharge += Number(response.headers?.['x-ms-request-charge'] ?? 0);
          return response;
        } catch (error) {
          const { code, retryAfterInMs, headers } = (error ?? {}) as CosmosHttpError;
          if (stats) stats.requestCharge += Number(headers?.['x-ms-request-charge'] ?? 0);
          if (code === 429 && stats) stats.throttled++;
          const isBulk = context.operationType === 'batch';
          const retryable = code === 429 || (code !== undefined && TRANSIENT.has(code));
          if (!isBulk || !retryable || attempt >= maxRetries) throw error;
          const backoff = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** attempt);
          await sleep(code === 429 && retryAfterInMs !== undefined ? retryAfterInMs : backoff);
        }
      }
    },
  };
}
