import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { moveToStage, MoveResult, rollback } from '../../shared/cutover/cutover';
import { GuardCheck } from '../../shared/cutover/ports';
import { Stage, stageOf } from '../../shared/cutover/stages';
import { startTraffic, TrafficRun, TrafficSummary } from '../../shared/traffic/run-traffic';
import { ValidationSummary } from '../../shared/validation/validation-summary';
import { Environment } from '../environment';
import { createLocalEngine, LocalEngine } from '../local-engine';
import { Output } from '../output';
import { DemoBackground } from './demo-background';
import { storeLine, trafficDepsOf, trafficText } from './traffic';
import { validateHere } from './validate';

/** The rehearsal's shape: modest, so the demo stays short on a small machine. */
export const REHEARSAL = {
  stages: ['dual-write', 'shadow-reads', 'cosmos-reads'] as const satisfies readonly Stage[],
  /** Cosmos's share of reads in cosmos-reads: a quarter of the acting users. */
  cosmosReadPercent: 25,
  rate: 20,
  users: 100,
  seed: 1,
  /** Traffic in each stage before the next step. */
  dwellMs: 2_000,
  /** The traffic's own hard stop, should the rehearsal never stop it. */
  trafficMaxMs: 180_000,
  /** Between two passes of the background work (the host's timers run every few seconds). */
  backgroundIntervalMs: 500,
};

const actor = () => `${os.userInfo().username}@${os.hostname()} (demo)`;

export interface RehearsalValidation {
  validationId: string;
  ready: boolean;
  consistencyRate: number;
  totals: { checked: number; mismatched: number; missing: number; extra: number };
  /** The first full validation under live traffic was not ready; this one ran with it paused. */
  trafficPaused: boolean;
}

export interface RehearsalStep {
  /** Since the rehearsal began, when the step (and its time in the stage) was done. */
  atMs: number;
  action: 'move' | 'rollback';
  from: Stage | null;
  to: Stage;
  outcome: MoveResult['outcome'];
  guards: GuardCheck[];
  validation: RehearsalValidation | null;
  /** The traffic so far, once it ran a while in the stage. */
  traffic: Pick<TrafficSummary, 'operations' | 'stores'>;
}

export interface RehearsalResult {
  ok: boolean;
  flagsFile: string;
  durationMs: number;
  stagesReached: Stage[];
  steps: RehearsalStep[];
  finalStage: Stage | null;
  finalValidation: RehearsalValidation;
  background: {
    syncRounds: number;
    changesApplied: number;
    syncRowErrors: number;
    parentsRecounted: number;
    replayed: number;
    errors: string[];
  };
  traffic: TrafficSummary;
}

/**
 * The demo's cutover rehearsal, after the load and its validation: with the function app's
 * background work running (the sync, the counts functions, the replay; demo-background.ts)
 * and traffic through the router, moves postgres-only -> dual-write -> shadow-reads ->
 * cosmos-reads, each after a catch-up and a ready full validation, rolls back to dual-write,
 * then validates once more with the traffic stopped. Bounded: a few seconds per stage.
 */
export async function rehearseCutover(env: Environment, output: Output): Promise<RehearsalResult> {
  const started = performance.now();
  const engine = createLocalEngine(env.config);
  const deps = engine.cutoverDeps();
  const flagsFile = path.relative(process.cwd(), deps.flags.location) || deps.flags.location;
  const background = new DemoBackground(engine, REHEARSAL.backgroundIntervalMs);
  const traffic = startTraffic(trafficDepsOf(engine), {
    rate: REHEARSAL.rate,
    durationMs: REHEARSAL.trafficMaxMs,
    users: REHEARSAL.users,
    seed: REHEARSAL.seed,
  });
  const steps: RehearsalStep[] = [];
  const stagesReached: Stage[] = [];
  const at = () => Math.round(performance.now() - started);
  let trafficSummary: TrafficSummary | undefined;
  output.info('');
  output.info(
    `cutover rehearsal: ${REHEARSAL.rate} operations/s through the router as up to ${REHEARSAL.users} users, ` +
      `with the sync, the counts functions and the replay running; flags in ${flagsFile}`,
  );
  try {
    const start = stageOf(await deps.flags.read()).stage;
    if (start) stagesReached.push(start);
    let ok = true;
    for (const stage of REHEARSAL.stages) {
      const validation = await readyValidation(engine, traffic, background);
      // Right after a pass, with no sync round holding the slot while the guards read its lag.
      const move = await background.exclusive(async () => {
        await background.pass();
        return moveToStage(deps, {
          stage,
          ...(stage === 'cosmos-reads' ? { percent: REHEARSAL.cosmosReadPercent } : {}),
          reason: `demo rehearsal under ${REHEARSAL.rate} operations/s, validation ${validation.validationId} ${validation.ready ? 'ready' : 'NOT ready'}`,
          actor: actor(),
        });
      });
      const moved = move.outcome === 'moved';
      if (moved) {
        stagesReached.push(stage);
        await sleep(REHEARSAL.dwellMs);
      }
      steps.push(stepOf('move', move, validation, traffic, at()));
      output.info(stepLine(steps.at(-1)!));
      if (!moved) {
        ok = false;
        break;
      }
    }
    if (ok) {
      const back = await rollback(deps, {
        reason: 'demo rehearsal: back to dual-write, as an operator or the watchdog would',
        actor: actor(),
      });
      ok = back.outcome === 'moved';
      await sleep(REHEARSAL.dwellMs);
      steps.push(stepOf('rollback', back, null, traffic, at()));
      output.info(stepLine(steps.at(-1)!));
    }
    traffic.stop();
    trafficSummary = await traffic.done;
    await background.stop();
    await background.pass();
    const final = rehearsalValidation(await validateHere(engine), false);
    ok &&= final.ready && trafficSummary.operations.serverErrors === 0;
    const finalStage = stageOf(await deps.flags.read()).stage;
    output.info(
      `  ${seconds(at())} final full validation at ${finalStage ?? '?'}, traffic stopped: ` +
        `${final.ready ? 'READY' : 'NOT READY'}, consistency ${final.consistencyRate} ` +
        `(${final.totals.mismatched} mismatched, ${final.totals.missing} missing, ${final.totals.extra} extra of ${final.totals.checked})`,
    );
    output.info(
      `  the sync applied ${background.sync.changesRead} changes in ${background.sync.rounds} rounds, ` +
        `the counts functions rewrote ${background.recounted} parents, ${background.replayed} missed writes were replayed or left to the sync` +
        (background.errors.length ? `; background errors: ${background.errors[0]}` : ''),
    );
    output.info(trafficText(trafficSummary));
    return {
      ok,
      flagsFile,
      durationMs: at(),
      stagesReached,
      steps,
      finalStage,
      finalValidation: final,
      background: {
        syncRounds: background.sync.rounds,
        changesApplied: background.sync.changesRead,
        syncRowErrors: background.sync.rowErrors,
        parentsRecounted: background.recounted,
        replayed: background.replayed,
        errors: [...background.errors],
      },
      traffic: trafficSummary,
    };
  } finally {
    traffic.stop();
    if (!trafficSummary) await traffic.done.catch(() => undefined);
    await background.stop().catch(() => undefined);
    await engine.close();
  }
}

/**
 * The background caught up and a full validation under the live traffic (differences are
 * looked at again after VALIDATION_RECHECK_SECONDS, the demo's 1 s); should a write in flight
 * still make it not ready, once more with the traffic paused.
 */
async function readyValidation(
  engine: LocalEngine,
  traffic: TrafficRun,
  background: DemoBackground,
): Promise<RehearsalValidation> {
  await background.settle();
  const live = await validateHere(engine);
  if (live.ready) return rehearsalValidation(live, false);
  await traffic.pause();
  try {
    await background.settle();
    return rehearsalValidation(await validateHere(engine), true);
  } finally {
    traffic.resume();
  }
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1).padStart(5)} s`;

const rehearsalValidation = (
  summary: ValidationSummary,
  trafficPaused: boolean,
): RehearsalValidation => ({
  validationId: summary.validationId,
  ready: summary.ready,
  consistencyRate: summary.consistencyRate,
  totals: {
    checked: summary.totals.checked,
    mismatched: summary.totals.mismatched,
    missing: summary.totals.missing,
    extra: summary.totals.extra,
  },
  trafficPaused,
});

function stepOf(
  action: RehearsalStep['action'],
  result: MoveResult,
  validation: RehearsalValidation | null,
  traffic: TrafficRun,
  atMs: number,
): RehearsalStep {
  const { operations, stores } = traffic.snapshot();
  return {
    atMs,
    action,
    from: result.from,
    to: result.to,
    outcome: result.outcome,
    guards: result.guards,
    validation,
    traffic: { operations, stores },
  };
}

function guardText(guard: GuardCheck, validation: RehearsalValidation | null): string {
  const mark = guard.ok ? '' : 'FAIL ';
  const figure = guard.figure === null ? '?' : String(Math.round(guard.figure * 10) / 10);
  switch (guard.name) {
    case 'validation':
      return (
        `${mark}validation ${validation?.ready === false ? 'NOT READY' : 'ready'}` +
        `${validation?.trafficPaused ? ' (traffic paused)' : ''} ${figure} s old`
      );
    case 'sync-lag':
      return `${mark}sync lag ${figure} s`;
    case 'replay-queue':
      return `${mark}replay queue ${figure}`;
    default:
      return guard.ok ? `${guard.name} ok` : `FAIL ${guard.name}: ${guard.message}`;
  }
}

/** One line per step: the stage, its guards' figures, the traffic so far per store. */
export function stepLine(step: RehearsalStep): string {
  const head =
    step.action === 'rollback'
      ? `rollback -> ${step.to}`
      : `${step.outcome === 'moved' ? '->' : `${step.outcome.toUpperCase()}:`} ${step.to}`;
  const guards = step.guards.length
    ? step.guards.map((guard) => guardText(guard, step.validation)).join(', ')
    : `from ${step.from ?? '?'}, no guard`;
  const { operations, stores } = step.traffic;
  const perStore = stores
    ? `: ${storeLine('postgres', stores.postgres)}; ${storeLine('cosmos', stores.cosmos)}`
    : '';
  return `  ${seconds(step.atMs)} ${head.padEnd(23)} ${guards} | ${operations.completed} operations${perStore}`;
}
