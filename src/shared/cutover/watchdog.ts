import { mergeHistograms, percentile } from '../app-data/latency-histogram';
import {
  emptyStoreWindow,
  OperationWindow,
  OperationWindowStore,
  StoreWindow,
} from '../app-data/operation-metrics';
import { StoreName } from '../app-data/repository';
import { Metrics } from '../observability/metrics';
import { rollback } from './cutover';
import { CutoverDeps } from './ports';
import { ROLLBACK_STAGE, stageIndex, stageOf } from './stages';

/** The watchdog's settings (docs/cutover.md); the defaults are the original plan's. */
export interface WatchdogSettings {
  /** Length of one metrics window (the router's), seconds. */
  windowSeconds: number;
  /** How many of the latest windows are judged (10 one-minute windows: a 10-minute view). */
  windows: number;
  /** Windows that started sooner than this after a stage change are not judged. */
  graceSeconds: number;
  /** A window with fewer Cosmos calls than this is inconclusive. */
  minSamples: number;
  /** Roll back when at least this many judged windows fail. */
  failingWindows: number;
  /** After its rollback, moves forward are refused for this long (a guard of the controller). */
  cooldownSeconds: number;
  maxErrorRate: number;
  /** Cosmos's p99 latency may be at most this many times PostgreSQL's. */
  maxLatencyRatio: number;
  /** Shadow reads that agree, and the latest validation's rate, at least this. */
  minConsistency: number;
}

export const DEFAULT_WATCHDOG: WatchdogSettings = {
  windowSeconds: 60,
  windows: 10,
  graceSeconds: 120,
  minSamples: 50,
  failingWindows: 3,
  cooldownSeconds: 900,
  maxErrorRate: 0.05,
  maxLatencyRatio: 1.5,
  minConsistency: 0.95,
};

export interface WatchdogDeps extends CutoverDeps {
  windows: Pick<OperationWindowStore, 'windowsSince'>;
  settings: WatchdogSettings;
  metrics?: Metrics;
}

export interface WindowCheck {
  name: 'error-rate' | 'latency-p99' | 'shadow-consistency' | 'validation-consistency';
  ok: boolean;
  figure: number;
  threshold: number;
}

export interface JudgedWindow {
  start: string;
  cosmosCalls: number;
  postgresCalls: number;
  /** `inconclusive`: too few samples to judge. */
  verdict: 'ok' | 'failing' | 'inconclusive';
  checks: WindowCheck[];
}

export interface WatchdogReport {
  /** `hold`: the windows fail but the rollback was refused (the replay queue did not empty). */
  action: 'rolled-back' | 'hold' | 'none';
  /** Why, in a sentence. */
  reason: string;
  stage: string | null;
  windows: JudgedWindow[];
  failing: number;
}

const merged = (windows: OperationWindow[], store: StoreName): StoreWindow => {
  const total = emptyStoreWindow();
  for (const window of windows) {
    const figures = window.stores[store];
    total.count += figures.count;
    total.errors += figures.errors;
    total.requestCharge += figures.requestCharge;
    total.shadowReads += figures.shadowReads;
    total.shadowMismatches += figures.shadowMismatches;
    mergeHistograms(total.latency, figures.latency);
  }
  return total;
};

/**
 * One look (the `rollback-watchdog` timer, every minute): judges the latest windows since the
 * last stage change and its grace, and rolls back to dual-write when enough of them fail. It
 * never moves forward and acts only beyond dual-write; after it acted the stage holds for the
 * cool-down (the controller refuses forward moves).
 */
export async function watchOnce(deps: WatchdogDeps): Promise<WatchdogReport> {
  const settings = deps.settings;
  const now = deps.now?.() ?? new Date();
  const { stage } = stageOf(await deps.flags.read());
  const report = (
    action: WatchdogReport['action'],
    reason: string,
    windows: JudgedWindow[] = [],
  ) => {
    const failing = windows.filter((w) => w.verdict === 'failing').length;
    deps.metrics?.track('cutover.watchdog.failingWindows', failing, { stage: stage ?? 'none' });
    return { action, reason, stage, windows, failing };
  };
  if (stage === null || stageIndex(stage) <= stageIndex(ROLLBACK_STAGE))
    return report('none', `nothing to roll back in ${stage ?? 'hand-set flags'}`);
  if (stage === 'cosmos-only') return report('none', 'cosmos-only is the end: no way back');

  const [lastChange] = await deps.audit.recent(1);
  const changedAt = lastChange ? Date.parse(lastChange.at) : 0;

  const windowMs = settings.windowSeconds * 1000;
  const latestEnd = Math.floor(now.getTime() / windowMs) * windowMs;
  const earliest = Math.max(
    latestEnd - settings.windows * windowMs,
    Math.ceil((changedAt + settings.graceSeconds * 1000) / windowMs) * windowMs,
  );
  const saved =
    earliest < latestEnd ? await deps.windows.windowsSince(new Date(earliest).toISOString()) : [];
  const byStart = new Map<number, OperationWindow[]>();
  for (const window of saved) {
    const start = Date.parse(window.start);
    if (start < earliest || start + windowMs > latestEnd) continue;
    byStart.set(start, [...(byStart.get(start) ?? []), window]);
  }
  const validation = await latestConsistency(deps, changedAt);
  const judged = [...byStart.entries()]
    .sort(([a], [b]) => a - b)
    .map(([start, windows]) => judge(start, windows, validation, settings));
  const failing = judged.filter((w) => w.verdict === 'failing').length;
  if (failing < settings.failingWindows)
    return report(
      'none',
      `${failing} of ${judged.length} windows failing (${settings.failingWindows} roll back)`,
      judged,
    );

  const reason = `watchdog: ${failing} of ${judged.length} windows failing since ${new Date(earliest).toISOString()}`;
  const result = await rollback(deps, {
    reason,
    actor: 'rollback-watchdog',
    trigger: 'watchdog',
    evidence: { settings, windows: judged },
  });
  if (result.outcome !== 'moved')
    return report(
      'hold',
      `rollback ${result.outcome}: ${result.guards.map((g) => g.message).join('; ')}`,
      judged,
    );
  deps.metrics?.track('cutover.watchdog.rollback', 1, { from: stage });
  return report('rolled-back', reason, judged);
}

async function latestConsistency(deps: WatchdogDeps, changedAt: number): Promise<number | null> {
  const latest = await deps.readings.latestValidation();
  const finishedAt = latest?.finishedAt ? Date.parse(latest.finishedAt) : Number.NaN;
  // Only a validation of the current stage's data speaks about it.
  if (!latest || !(finishedAt >= changedAt)) return null;
  return latest.consistencyRate ?? null;
}

function judge(
  start: number,
  windows: OperationWindow[],
  validation: number | null,
  settings: WatchdogSettings,
): JudgedWindow {
  const cosmos = merged(windows, 'cosmos');
  const postgres = merged(windows, 'postgres');
  const checks: WindowCheck[] = [];
  const conclusive = cosmos.count >= settings.minSamples;
  if (conclusive) {
    checks.push({
      name: 'error-rate',
      ok: cosmos.errors / cosmos.count <= settings.maxErrorRate,
      figure: round(cosmos.errors / cosmos.count),
      threshold: settings.maxErrorRate,
    });
    const cosmosP99 = percentile(cosmos.latency, 0.99);
    const postgresP99 = percentile(postgres.latency, 0.99);
    if (postgres.count >= settings.minSamples && cosmosP99 !== null && postgresP99 !== null)
      checks.push({
        name: 'latency-p99',
        ok: cosmosP99 <= postgresP99 * settings.maxLatencyRatio,
        figure: round(cosmosP99 / postgresP99),
        threshold: settings.maxLatencyRatio,
      });
    const shadowReads = cosmos.shadowReads + postgres.shadowReads;
    if (shadowReads >= settings.minSamples) {
      const agreeing = 1 - (cosmos.shadowMismatches + postgres.shadowMismatches) / shadowReads;
      checks.push({
        name: 'shadow-consistency',
        ok: agreeing >= settings.minConsistency,
        figure: round(agreeing),
        threshold: settings.minConsistency,
      });
    }
    if (validation !== null)
      checks.push({
        name: 'validation-consistency',
        ok: validation >= settings.minConsistency,
        figure: validation,
        threshold: settings.minConsistency,
      });
  }
  return {
    start: new Date(start).toISOString(),
    cosmosCalls: cosmos.count,
    postgresCalls: postgres.count,
    verdict: !conclusive ? 'inconclusive' : checks.every((c) => c.ok) ? 'ok' : 'failing',
    checks,
  };
}

const round = (value: number) => Math.round(value * 10_000) / 10_000;
