import { errorMessage } from '../errors/app-error';
import { Metrics } from '../observability/metrics';
import { addLatency, LatencyHistogram, percentile } from './latency-histogram';
import { StoreName } from './repository';

/** One store's figures in one window, as one instance saw them. */
export interface StoreWindow {
  count: number;
  errors: number;
  /** Cosmos request units spent (0 for PostgreSQL). */
  requestCharge: number;
  latency: LatencyHistogram;
  /** Reads this store answered as the shadow, compared with the served store's answer. */
  shadowReads: number;
  shadowMismatches: number;
  operations: Record<string, { count: number; errors: number }>;
}

/** A shadow read that differed: which records and which fields; never the values. */
export interface MismatchSample {
  at: string;
  operation: string;
  served: StoreName;
  ids: string[];
  paths: string[];
}

export const METRICS_PK = 'metrics';
const MISMATCH_SAMPLES = 20;

/** One instance's window (`migration` container, pk `metrics`); the watchdog merges them. */
export interface OperationWindow {
  id: string;
  pk: typeof METRICS_PK;
  type: 'operationWindow';
  instance: string;
  start: string;
  seconds: number;
  stores: Record<StoreName, StoreWindow>;
  mismatches: MismatchSample[];
  ttl: number;
}

export interface OperationWindowStore {
  save(window: OperationWindow): Promise<void>;
  /** Every instance's windows that start at or after `start` (ISO). */
  windowsSince(start: string): Promise<OperationWindow[]>;
}

export interface OperationMetricsOptions {
  instance: string;
  windowSeconds: number;
  /** How long saved windows are kept. */
  ttlSeconds: number;
  metrics?: Metrics;
  now?: () => number;
  /** Told when saving a window failed (the figures are kept and saved with the next flush). */
  onFlushError?: (message: string) => void;
}

export const emptyStoreWindow = (): StoreWindow => ({
  count: 0,
  errors: 0,
  requestCharge: 0,
  latency: {},
  shadowReads: 0,
  shadowMismatches: 0,
  operations: {},
});

/**
 * Counts every call the router makes, per store, in fixed windows, and saves each window the
 * instance touched; a window is saved again as long as it changes, then dropped.
 */
export class OperationMetrics {
  private readonly windows = new Map<number, { window: OperationWindow; dirty: boolean }>();
  private flushing: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;
  private readonly running: Record<StoreName, StoreWindow> = {
    postgres: emptyStoreWindow(),
    cosmos: emptyStoreWindow(),
  };

  constructor(
    private readonly store: OperationWindowStore | undefined,
    private readonly options: OperationMetricsOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  recordCall(
    store: StoreName,
    operation: string,
    call: { ok: boolean; ms: number; requestCharge?: number },
  ): void {
    for (const figures of [this.current().stores[store], this.running[store]]) {
      figures.count++;
      if (!call.ok) figures.errors++;
      figures.requestCharge += call.requestCharge ?? 0;
      addLatency(figures.latency, call.ms);
      const op = (figures.operations[operation] ??= { count: 0, errors: 0 });
      op.count++;
      if (!call.ok) op.errors++;
    }
  }

  recordShadow(shadow: StoreName, mismatch: Omit<MismatchSample, 'at'> | null): void {
    const window = this.current();
    for (const figures of [window.stores[shadow], this.running[shadow]]) {
      figures.shadowReads++;
      if (mismatch) figures.shadowMismatches++;
    }
    if (!mismatch) return;
    if (window.mismatches.length < MISMATCH_SAMPLES)
      window.mismatches.push({ at: new Date(this.now()).toISOString(), ...mismatch });
  }

  /** Every call this process recorded since it started, per store. */
  totals(): Record<StoreName, StoreWindow> {
    return structuredClone(this.running);
  }

  /** Saves every window changed since the last flush; windows that have ended are then dropped. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.saveChanged());
    return this.flushing;
  }

  /** Flushes every `intervalMs` without keeping the process alive. */
  startFlushing(intervalMs: number): void {
    this.timer ??= setInterval(() => void this.flush(), intervalMs);
    this.timer.unref();
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  private current(): OperationWindow {
    const ms = this.options.windowSeconds * 1000;
    const start = Math.floor(this.now() / ms) * ms;
    let entry = this.windows.get(start);
    if (!entry) {
      const iso = new Date(start).toISOString();
      entry = {
        dirty: true,
        window: {
          id: `metrics:${iso}:${this.options.instance}`,
          pk: METRICS_PK,
          type: 'operationWindow',
          instance: this.options.instance,
          start: iso,
          seconds: this.options.windowSeconds,
          stores: { postgres: emptyStoreWindow(), cosmos: emptyStoreWindow() },
          mismatches: [],
          ttl: this.options.ttlSeconds,
        },
      };
      this.windows.set(start, entry);
    }
    entry.dirty = true;
    return entry.window;
  }

  private async saveChanged(): Promise<void> {
    const ms = this.options.windowSeconds * 1000;
    const currentStart = Math.floor(this.now() / ms) * ms;
    for (const [start, entry] of [...this.windows]) {
      const ended = start < currentStart;
      if (entry.dirty && this.store) {
        entry.dirty = false;
        try {
          await this.store.save(structuredClone(entry.window));
        } catch (error) {
          entry.dirty = true;
          this.options.onFlushError?.(errorMessage(error));
          continue;
        }
      }
      if (ended) {
        this.windows.delete(start);
        this.report(entry.window);
      }
    }
  }

  private report(window: OperationWindow): void {
    const metrics = this.options.metrics;
    if (!metrics) return;
    for (const [store, figures] of Object.entries(window.stores)) {
      if (figures.count === 0 && figures.shadowReads === 0) continue;
      const properties = { store };
      metrics.track('appData.operations', figures.count, properties);
      metrics.track('appData.errors', figures.errors, properties);
      metrics.track('appData.requestCharge', figures.requestCharge, properties);
      metrics.track('appData.latencyP99Ms', percentile(figures.latency, 0.99) ?? 0, properties);
      metrics.track('appData.shadowMismatches', figures.shadowMismatches, properties);
    }
  }
}
