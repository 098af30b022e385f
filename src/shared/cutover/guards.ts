import { ENTITY_NAMES } from '../entities/entity';
import { CutoverAuditStore, CutoverReadings, CutoverThresholds, GuardCheck } from './ports';
import { Stage, stageIndex } from './stages';

/**
 * The guards of a move (docs/cutover.md): forward, a recent ready full validation, the sync's
 * lag under its threshold (while the sync runs) and nothing waiting for replay; back from
 * cosmos-primary, nothing waiting for replay (PostgreSQL must hold every write first).
 */
export async function guardsFor(
  from: Stage | null,
  to: Stage,
  readings: CutoverReadings,
  thresholds: CutoverThresholds,
  now: Date,
): Promise<GuardCheck[]> {
  const forward = from === null || stageIndex(to) > stageIndex(from);
  const checks: Promise<GuardCheck>[] = [];
  if (forward) {
    checks.push(validationGuard(readings, thresholds, now));
    // From cosmos-primary on the sync is off: there is no lag to judge.
    if (stageIndex(to) <= stageIndex('cosmos-primary'))
      checks.push(syncLagGuard(readings, thresholds));
  }
  if (forward || from === 'cosmos-primary') checks.push(replayGuard(readings));
  return Promise.all(checks);
}

/** Every guard with its figure, for a status page: what a move forward from here would need. */
export function allGuards(readings: CutoverReadings, thresholds: CutoverThresholds, now: Date) {
  return Promise.all([
    validationGuard(readings, thresholds, now),
    syncLagGuard(readings, thresholds),
    replayGuard(readings),
  ]);
}

async function validationGuard(
  readings: CutoverReadings,
  { validationMaxAgeSeconds }: CutoverThresholds,
  now: Date,
): Promise<GuardCheck> {
  const base = { name: 'validation' as const, threshold: validationMaxAgeSeconds };
  const latest = await readings.latestValidation();
  if (!latest)
    return {
      ...base,
      ok: false,
      figure: null,
      message: 'no validation has run: run a full validation',
    };
  const id = latest.validationId;
  if (latest.mode !== 'full')
    return {
      ...base,
      ok: false,
      figure: null,
      message: `the latest validation ${id} is a ${latest.mode} one: run a full validation`,
    };
  const left = ENTITY_NAMES.filter((entity) => !(entity in latest.entities));
  if (left.length > 0)
    return {
      ...base,
      ok: false,
      figure: null,
      message: `the latest full validation ${id} left out ${left.join(', ')}: run a full validation of every entity`,
    };
  if (!latest.finishedAt)
    return {
      ...base,
      ok: false,
      figure: null,
      message: `the latest full validation ${id} has not finished`,
    };
  const ageSeconds = Math.round((now.getTime() - Date.parse(latest.finishedAt)) / 1000);
  if (!latest.ready)
    return {
      ...base,
      ok: false,
      figure: ageSeconds,
      message: `the latest full validation ${id} is not ready (consistency ${latest.consistencyRate}, threshold ${latest.threshold})`,
    };
  if (ageSeconds > validationMaxAgeSeconds)
    return {
      ...base,
      ok: false,
      figure: ageSeconds,
      message: `the latest full validation ${id} finished ${ageSeconds} s ago, more than ${validationMaxAgeSeconds} s`,
    };
  return {
    ...base,
    ok: true,
    figure: ageSeconds,
    message: `full validation ${id} ready, ${ageSeconds} s old`,
  };
}

async function syncLagGuard(
  readings: CutoverReadings,
  { maxSyncLagSeconds }: CutoverThresholds,
): Promise<GuardCheck> {
  const base = { name: 'sync-lag' as const, threshold: maxSyncLagSeconds };
  const { lagSeconds, reason } = await readings.syncLag();
  if (lagSeconds === null)
    return {
      ...base,
      ok: false,
      figure: null,
      message: `the sync's lag is unknown: ${reason ?? 'no sync'}`,
    };
  return {
    ...base,
    ok: lagSeconds <= maxSyncLagSeconds,
    figure: lagSeconds,
    message: `sync lag ${lagSeconds} s (at most ${maxSyncLagSeconds} s)`,
  };
}

/** The replay queue's check; `still` words a count that outlived a wait. */
export function replayCheck(pending: number, still = ''): GuardCheck {
  return {
    name: 'replay-queue',
    ok: pending === 0,
    figure: pending,
    threshold: 0,
    message:
      pending === 0
        ? 'no missed write waits for replay'
        : `${pending} missed writes ${still ? `still wait for replay ${still}` : 'wait for replay'}`,
  };
}

async function replayGuard(readings: CutoverReadings): Promise<GuardCheck> {
  return replayCheck(await readings.pendingReplays());
}

/** Audit entries searched for the watchdog's last rollback. */
const COOLDOWN_LOOKBACK = 20;

/**
 * After the watchdog rolled back, the stage holds: a move forward within the cool-down is
 * refused (unless forced), so that a failing stage is not retried into the same fault.
 */
export async function cooldownGuard(
  audit: Pick<CutoverAuditStore, 'recent'>,
  cooldownSeconds: number,
  now: Date,
): Promise<GuardCheck> {
  const last = (await audit.recent(COOLDOWN_LOOKBACK)).find((e) => e.trigger === 'watchdog');
  const sinceSeconds = last ? Math.round((now.getTime() - Date.parse(last.at)) / 1000) : null;
  const ok = sinceSeconds === null || sinceSeconds >= cooldownSeconds;
  return {
    name: 'watchdog-cooldown',
    ok,
    figure: sinceSeconds,
    threshold: cooldownSeconds,
    message:
      sinceSeconds === null
        ? 'the watchdog has not rolled back'
        : ok
          ? `the watchdog rolled back ${sinceSeconds} s ago (cool-down ${cooldownSeconds} s over)`
          : `the watchdog rolled back ${sinceSeconds} s ago: forward moves wait ${cooldownSeconds - sinceSeconds} s more (cool-down ${cooldownSeconds} s)`,
  };
}
