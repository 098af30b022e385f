import { performance } from 'node:perf_hooks';
import { StoreWindow } from '../app-data/operation-metrics';
import { StoreName } from '../app-data/repository';
import { AppData } from '../app-data/stage-router';
import { AppError, errorMessage } from '../errors/app-error';
import { modelClock } from './clock';
import { parseTrafficOptions, TrafficSettings } from './inputs';
import { KnownData } from './known-data';
import { MIX, OperationKind } from './mix';
import { newUser, OperationContext, planOperation } from './operations';
import { OpenLoop } from './open-loop';
import { chooser } from './random';
import { StoreFigures, storeFiguresBetween } from './store-figures';
import { ClientTotals, classify, ErrorSample, KindFigures } from './totals';

export interface TrafficDeps {
  /** The application's data as `userId` sees it: the router's `as(userId)`. */
  data(userId?: string): AppData;
  /** The router's running figures (`OperationMetrics`); without them, no per-store figures. */
  metrics?: { totals(): Record<StoreName, StoreWindow> };
  /** The cutover stage the flags are in, for the summary. */
  stage?: () => Promise<string | null>;
  /** Waits for the router's background work (shadow reads being compared). */
  settled?: () => Promise<void>;
}

export interface TrafficOptions {
  rate: number;
  durationMs: number;
  users?: number;
  seed?: number;
  maxInFlight?: number;
  drainMs?: number;
  progressMs?: number;
  /** Ends the run early (as `stop()`). */
  signal?: AbortSignal;
  /** The figures so far, every `progressMs` while operations are started. */
  onProgress?: (summary: TrafficSummary) => void;
}

export interface TrafficSetup {
  usersFound: number;
  postsFound: number;
  commentsFound: number;
  usersCreated: number;
  ms: number;
}

export interface TrafficSummary {
  /** The stage the flags were in when the traffic started and when it ended. */
  stage: { atStart: string | null; atEnd: string | null };
  requested: {
    rate: number;
    durationMs: number;
    users: number;
    maxInFlight: number;
    seed: number;
  };
  setup: TrafficSetup;
  /** Since the first operation was due; `activeMs` leaves out the time paused. */
  elapsedMs: number;
  activeMs: number;
  /** Operations finished per second of active time. */
  achievedRate: number;
  operations: {
    scheduled: number;
    started: number;
    dropped: number;
    completed: number;
    /** Started and not finished (at the end: still unfinished after the drain). */
    inFlight: number;
    ok: number;
    clientErrors: number;
    serverErrors: number;
    reads: number;
    writes: number;
  };
  byKind: Record<OperationKind, KindFigures>;
  errors: {
    /** Answers about the input (gone, taken), by code: racing deletions, not failures. */
    client: Record<string, number>;
    /** Failures of a store (5xx, unknown), by code. */
    server: Record<string, number>;
    samples: ErrorSample[];
  };
  /** The router's calls per store over the operations (setup reads excluded). */
  stores: Record<StoreName, StoreFigures> | null;
  finished: boolean;
}

export interface TrafficRun {
  /** The summary once the run ended: its duration passed, `stop()` or the signal. */
  done: Promise<TrafficSummary>;
  /** The figures so far. */
  snapshot(): TrafficSummary;
  /** Starts nothing more until `resume()`; resolves once nothing is in flight (false: timed out). */
  pause(): Promise<boolean>;
  resume(): void;
  stop(): void;
}

/** Feed pages and comment threads read to learn the existing data: bounded. */
const SETUP_FEED_PAGES = 5;
const SETUP_PAGE = 100;
const SETUP_THREADS = 20;
/** Users created when the data has none. */
const SETUP_USERS = 5;

/** Runs the traffic to its end and returns the summary. */
export function runTraffic(deps: TrafficDeps, options: TrafficOptions): Promise<TrafficSummary> {
  return startTraffic(deps, options).done;
}

/**
 * A realistic Social Pulse read/write mix through the application's data (the stage router),
 * on an open-loop schedule of `rate` operations per second for `durationMs`. It first learns
 * existing users, posts and comments from the data's own reads (creating a few users when
 * there are none), then acts as those users. An operation's error is counted by code, never
 * thrown: the run fails only when its setup cannot read the data.
 */
export function startTraffic(deps: TrafficDeps, options: TrafficOptions): TrafficRun {
  const { signal, onProgress, ...rest } = options;
  const settings = parseTrafficOptions(rest);
  const choose = chooser(settings.seed);
  const maxInFlight = settings.maxInFlight ?? Math.max(1, Math.ceil(settings.rate * 2));
  const known = new KnownData(settings.users, choose);
  const ctx: OperationContext = {
    data: (userId) => deps.data(userId),
    known,
    choose,
    now: modelClock(),
  };
  const loop = new OpenLoop({
    rate: settings.rate,
    durationMs: settings.durationMs,
    maxInFlight,
    ...(signal ? { signal } : {}),
  });
  const totals = new ClientTotals();
  const state = {
    stage: { atStart: null as string | null, atEnd: null as string | null },
    setup: { usersFound: 0, postsFound: 0, commentsFound: 0, usersCreated: 0, ms: 0 },
    baseline: undefined as Record<StoreName, StoreWindow> | undefined,
    finished: false,
    stopped: false,
  };

  const snapshot = (): TrafficSummary =>
    summarize(settings, maxInFlight, choose.seed, state, loop, totals, deps);

  const launch = async () => {
    let kind = choose.weighted(MIX);
    try {
      const planned = planOperation(kind, ctx);
      kind = planned.kind;
      await planned.run();
      totals.ok(kind);
    } catch (error) {
      totals.failed(kind, error);
    }
  };

  const done = (async () => {
    state.stage.atStart = await readStage(deps);
    state.setup = await learnExisting(
      ctx,
      settings,
      () => state.stopped || Boolean(signal?.aborted),
    );
    // The setup's shadow reads are compared before the figures start.
    if (deps.settled) await withTimeout(deps.settled(), settings.drainMs);
    state.baseline = deps.metrics?.totals();
    const timer = onProgress
      ? setInterval(() => onProgress(snapshot()), settings.progressMs)
      : undefined;
    timer?.unref();
    try {
      if (!state.stopped) await loop.run(launch);
    } finally {
      clearInterval(timer);
    }
    await loop.idle(settings.drainMs);
    if (deps.settled) await withTimeout(deps.settled(), settings.drainMs);
    state.stage.atEnd = await readStage(deps);
    state.finished = true;
    return snapshot();
  })();

  // Handled here too: a caller that never awaits `done` (it stopped early) gets no crash.
  done.catch(() => undefined);
  return {
    done,
    snapshot,
    async pause() {
      loop.pause();
      return loop.idle(settings.drainMs);
    },
    resume: () => loop.resume(),
    stop() {
      state.stopped = true;
      loop.stop();
    },
  };
}

async function readStage(deps: TrafficDeps): Promise<string | null> {
  try {
    return (await deps.stage?.()) ?? null;
  } catch {
    return null;
  }
}

async function withTimeout(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    work.catch(() => undefined),
    new Promise((resolve) => (timer = setTimeout(resolve, ms))),
  ]);
  clearTimeout(timer);
}

/**
 * Learns users, posts and comments from the newest pages of the global feed and a few of their
 * threads; creates a few users when the data has none. Bounded in calls; a store failure here
 * ends the run (`TRAFFIC_SETUP_FAILED`), since nothing could be picked.
 */
async function learnExisting(
  ctx: OperationContext,
  settings: TrafficSettings,
  stopped: () => boolean,
): Promise<TrafficSetup> {
  const started = performance.now();
  const { known } = ctx;
  const data = ctx.data();
  const setup: TrafficSetup = {
    usersFound: 0,
    postsFound: 0,
    commentsFound: 0,
    usersCreated: 0,
    ms: 0,
  };
  try {
    let continuation: string | null = null;
    for (let page = 0; page < SETUP_FEED_PAGES && !stopped(); page++) {
      const feed = await data.globalFeed({ limit: SETUP_PAGE, continuation });
      for (const post of feed.items) known.learnPost(post);
      continuation = feed.continuation;
      if (!continuation) break;
    }
    for (let i = 0; i < SETUP_THREADS && !stopped(); i++) {
      const post = known.posts.pick();
      if (!post) break;
      for (const comment of (await data.commentThread(post.id)).slice(0, SETUP_PAGE))
        known.learnComment(comment);
    }
    setup.usersFound = known.users.size;
    setup.postsFound = known.posts.size;
    setup.commentsFound = known.comments.size;
    const wanted = known.users.size === 0 ? Math.min(settings.users, SETUP_USERS) : 0;
    for (let i = 0; i < wanted; i++) {
      const user = newUser(ctx.now());
      known.learnFullUser(await ctx.data(user.id).createUser(user));
      setup.usersCreated++;
    }
  } catch (error) {
    if (error instanceof AppError && classify(error).client) throw error;
    throw new AppError(
      'TRAFFIC_SETUP_FAILED',
      `the traffic could not read the existing data to pick from: ${errorMessage(error)}`,
      503,
      { cause: error },
    );
  }
  setup.ms = Math.round(performance.now() - started);
  return setup;
}

function summarize(
  settings: TrafficSettings,
  maxInFlight: number,
  seed: number,
  state: {
    stage: TrafficSummary['stage'];
    setup: TrafficSetup;
    baseline: Record<StoreName, StoreWindow> | undefined;
    finished: boolean;
  },
  loop: OpenLoop,
  totals: ClientTotals,
  deps: TrafficDeps,
): TrafficSummary {
  const loopFigures = loop.figures();
  const sums = totals.sums();
  const metrics = deps.metrics;
  return {
    stage: { ...state.stage },
    requested: {
      rate: settings.rate,
      durationMs: settings.durationMs,
      users: settings.users,
      maxInFlight,
      seed,
    },
    setup: { ...state.setup },
    elapsedMs: Math.round(loopFigures.elapsedMs),
    activeMs: Math.round(loopFigures.activeMs),
    achievedRate:
      loopFigures.activeMs > 0
        ? Math.round((sums.completed / (loopFigures.activeMs / 1000)) * 100) / 100
        : 0,
    operations: {
      scheduled: loopFigures.scheduled,
      started: loopFigures.started,
      dropped: loopFigures.dropped,
      completed: sums.completed,
      inFlight: loopFigures.inFlight,
      ok: sums.ok,
      clientErrors: sums.clientErrors,
      serverErrors: sums.serverErrors,
      reads: sums.reads,
      writes: sums.writes,
    },
    byKind: structuredClone(totals.byKind),
    errors: {
      client: { ...totals.clientErrors },
      server: { ...totals.serverErrors },
      samples: [...totals.samples],
    },
    stores:
      metrics && state.baseline ? storeFiguresBetween(state.baseline, metrics.totals()) : null,
    finished: state.finished,
  };
}
