export interface OpenLoopOptions {
  /** Operations started per second, on schedule whether earlier ones finished or not. */
  rate: number;
  /** Wall-clock time after which nothing more is started (paused time counts). */
  durationMs: number;
  /** A due operation is dropped (counted) rather than started while this many are in flight. */
  maxInFlight: number;
  signal?: AbortSignal;
  now?: () => number;
}

export interface OpenLoopFigures {
  /** Operations that came due: started or dropped. */
  scheduled: number;
  started: number;
  /** Due while `maxInFlight` were in flight: never started. */
  dropped: number;
  inFlight: number;
  /** Time not paused, since the start (until dispatching ended). */
  activeMs: number;
  elapsedMs: number;
}

/** The longest the loop sleeps at once: a stop, a pause or a resume is acted on this fast. */
const MAX_SLEEP_MS = 50;

/**
 * An open-loop schedule: the i-th operation is due at i / rate seconds of active (unpaused)
 * time, and is started then however long earlier ones take, up to `maxInFlight` at once.
 * Dispatching ends at `durationMs` of wall-clock time, at `stop()` or when `signal` aborts;
 * the loop is bounded in operations (rate × duration) and in time.
 */
export class OpenLoop {
  private startedAt: number | null = null;
  private endedAt: number | null = null;
  private pausedAt: number | null = null;
  private pausedMs = 0;
  private stopped = false;
  private counts = { scheduled: 0, started: 0, dropped: 0, inFlight: 0 };
  private wake: (() => void) | undefined;
  private idleWaiters: (() => void)[] = [];
  private readonly now: () => number;

  constructor(private readonly options: OpenLoopOptions) {
    this.now = options.now ?? (() => performance.now());
  }

  /** Dispatches until the end; `launch` must not reject. Resolves when dispatching ends. */
  async run(launch: (index: number) => Promise<void>): Promise<void> {
    const { rate, durationMs, maxInFlight, signal } = this.options;
    const onAbort = () => this.stop();
    signal?.addEventListener('abort', onAbort, { once: true });
    const start = this.now();
    this.startedAt = start;
    const total = Math.max(1, Math.round((rate * durationMs) / 1000));
    try {
      while (!this.stopped && !signal?.aborted) {
        const t = this.now();
        const left = durationMs - (t - start);
        if (left <= 0) break;
        // Paused, or every operation started: the run lasts its duration all the same.
        if (this.pausedAt !== null || this.counts.scheduled >= total) {
          await this.sleep(Math.min(MAX_SLEEP_MS, left));
          continue;
        }
        const active = this.activeAt(t);
        const due = Math.min(total, Math.floor((active * rate) / 1000) + 1);
        while (this.counts.scheduled < due) {
          this.counts.scheduled++;
          if (this.counts.inFlight >= maxInFlight) this.counts.dropped++;
          else this.launchOne(launch, this.counts.scheduled - 1);
        }
        const nextDue = (this.counts.scheduled * 1000) / rate - active;
        await this.sleep(Math.max(1, Math.min(MAX_SLEEP_MS, nextDue, left)));
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.endedAt = this.now();
    }
  }

  /** Starts nothing more until `resume()`; the schedule stands still meanwhile. */
  pause(): void {
    this.pausedAt ??= this.now();
  }

  resume(): void {
    if (this.pausedAt === null) return;
    this.pausedMs += this.now() - this.pausedAt;
    this.pausedAt = null;
    this.wake?.();
  }

  stop(): void {
    this.stopped = true;
    this.wake?.();
  }

  /** Waits until nothing is in flight, at most `timeoutMs`; false when some still were. */
  async idle(timeoutMs: number): Promise<boolean> {
    if (this.counts.inFlight === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const idle = new Promise<true>((resolve) => this.idleWaiters.push(() => resolve(true)));
    try {
      return await Promise.race([idle, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  figures(): OpenLoopFigures {
    const t = this.endedAt ?? this.now();
    const start = this.startedAt ?? t;
    return {
      ...this.counts,
      activeMs: this.startedAt === null ? 0 : Math.max(0, this.activeAt(t)),
      elapsedMs: t - start,
    };
  }

  private activeAt(t: number): number {
    const paused = this.pausedMs + (this.pausedAt !== null ? Math.max(0, t - this.pausedAt) : 0);
    return t - (this.startedAt ?? t) - paused;
  }

  private launchOne(launch: (index: number) => Promise<void>, index: number): void {
    this.counts.started++;
    this.counts.inFlight++;
    void launch(index)
      .catch(() => undefined)
      .finally(() => {
        this.counts.inFlight--;
        if (this.counts.inFlight === 0) for (const waiter of this.idleWaiters.splice(0)) waiter();
      });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
