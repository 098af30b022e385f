import { LatencyHistogram, percentile } from '../app-data/latency-histogram';
import { StoreWindow } from '../app-data/operation-metrics';
import { StoreName } from '../app-data/repository';

/** One store's calls over a run, as the router counted them (shadow reads included). */
export interface StoreFigures {
  count: number;
  /** Calls that failed for the store (an answer about the input is not one). */
  errors: number;
  requestCharge: number;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  shadowReads: number;
  shadowMismatches: number;
}

/** What the router's running totals gained between two readings. */
export function storeFiguresBetween(
  start: Record<StoreName, StoreWindow>,
  end: Record<StoreName, StoreWindow>,
): Record<StoreName, StoreFigures> {
  const figures = (store: StoreName): StoreFigures => {
    const [a, b] = [start[store], end[store]];
    const latency: LatencyHistogram = {};
    for (const [bucket, n] of Object.entries(b.latency)) {
      const gained = n - (a.latency[bucket] ?? 0);
      if (gained > 0) latency[bucket] = gained;
    }
    return {
      count: b.count - a.count,
      errors: b.errors - a.errors,
      requestCharge: Math.round((b.requestCharge - a.requestCharge) * 100) / 100,
      p50Ms: percentile(latency, 0.5),
      p95Ms: percentile(latency, 0.95),
      p99Ms: percentile(latency, 0.99),
      shadowReads: b.shadowReads - a.shadowReads,
      shadowMismatches: b.shadowMismatches - a.shadowMismatches,
    };
  };
  return { postgres: figures('postgres'), cosmos: figures('cosmos') };
}
