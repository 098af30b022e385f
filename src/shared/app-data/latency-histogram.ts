/**
 * Latencies as a sparse log-scale histogram: buckets about 9 % wide from 0.1 ms, so windows
 * from any number of instances merge exactly and a percentile is off by less than a bucket.
 */
export type LatencyHistogram = Record<string, number>;

const FLOOR_MS = 0.1;
const BUCKETS_PER_DOUBLING = 8;

export function bucketOf(ms: number): number {
  if (!(ms > FLOOR_MS)) return 0;
  return Math.floor(BUCKETS_PER_DOUBLING * Math.log2(ms / FLOOR_MS));
}

/** The bucket's upper edge: a percentile never reads lower than what was measured. */
const upperEdge = (bucket: number) => FLOOR_MS * 2 ** ((bucket + 1) / BUCKETS_PER_DOUBLING);

export function addLatency(histogram: LatencyHistogram, ms: number): void {
  const key = String(bucketOf(ms));
  histogram[key] = (histogram[key] ?? 0) + 1;
}

export function mergeHistograms(into: LatencyHistogram, from: LatencyHistogram): void {
  for (const [key, n] of Object.entries(from)) into[key] = (into[key] ?? 0) + n;
}

/** The latency `q` (0–1) of the samples are at or under, in ms; null without samples. */
export function percentile(histogram: LatencyHistogram, q: number): number | null {
  const buckets = Object.entries(histogram)
    .map(([key, n]) => [Number(key), n] as const)
    .sort(([a], [b]) => a - b);
  const total = buckets.reduce((sum, [, n]) => sum + n, 0);
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (const [bucket, n] of buckets) {
    seen += n;
    if (seen >= rank) return Math.round(upperEdge(bucket) * 100) / 100;
  }
  return upperEdge(buckets.at(-1)![0]);
}
