import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { replayWrites } from '../../shared/app-data/replay/replay-writes';
import { replayDepsOf } from '../../shared/composition/app-data';
import { moveToStage, MoveResult, rollback } from '../../shared/cutover/cutover';
import { GuardCheck } from '../../shared/cutover/ports';
import { Stage, stageOf } from '../../shared/cutover/stages';
import { errorMessage } from '../../shared/errors/app-error';
import { addCatchUp, CatchUpResult, emptyCatchUp } from '../../shared/sync/catch-up';
import { startTraffic, TrafficRun, TrafficSummary } from '../../shared/traffic/run-traffic';
import { ValidationSummary } from '../../shared/validation/validation-summary';
import { Environment } from '../environment';
import { createLocalEngine, LocalEngine } from '../local-engine';
import { Output } from '../output';
import { catchUpHere } from './sync';
import { storeLine, trafficDepsOf, trafficText } from './traffic';
import { validateHere } from './validate';

/** The rehearsal's shape: modest, so the demo stays short on a small machine. */
export const REHEARSAL = {
  stages: ['dual-write', 'shadow-reads', 'cosmos-reads'] as const satisfies readonly Stage[],
  rate: 20,
  users: 100,
  seed: 1,
  /** Traffic in each stage before the next step. */
  dwellMs: 2_000,
  /** The traffic's own hard stop, should the rehearsal never stop it. */
  trafficMaxMs: 180_000,
  syncIntervalMs: 500,
};

const actor = () => `${os.userInfo().username}@${os.hostname()} (demo)`;

export interface RehearsalValidation {
  validationId: string;
  ready: boolean;
  consistencyRate: number;
  /** The first full validation under live traffic was not ready; this one ran with it paused. */
  trafficPaused: boolean;
}

export interface RehearsalStep {
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
  stagesReached: Stage[];
  steps: RehearsalStep[];
  finalStage: Stage | null;
  finalValidation: RehearsalValidation | null;
  sync: Pick<CatchUpResult, 'rounds' | 'changesRead' | 'rowErrors'>;
  traffic: TrafficSummary;
}

/**
 * Applies the sync in the background, as the host's timer does, one catch-up at a time; work
 * that must not overlap a round (a catch-up on demand, a stage move whose guard reads the
 * slot's lag) runs between two.
 */
class SyncFollower {
  readonly totals = emptyCatchUp();
  lastError: string | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  private stopped = false;
  private readonly loop: Promise<void>;

  constructor(
    private readonly engine: LocalEngine,
    private readonly intervalMs: number,
  ) {
    this.loop = this.follow();
  }

  exclusive<T>(work: () => Promise<T>): Promise<T> {
    const next = this.chain.then(work);
    this.chain = next.catch(() => undefined);
    return next;
  }

  catchUp(): Promise<CatchUpResult> {
    return this.exclusive(() => this.round());
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
    await this.chain;
  }

  /** Inside `exclusive` only. */
  async round(): Promise<CatchUpResult> {
    const result = await catchUpHere(this.engine);
    addCatchUp(this.totals, result);
    return result;
  }

  private async follow(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.catchUp();
      } catch (error) {
        this.lastError = errorMessage(error);
      }
      await sleep(this.intervalMs);
    }
  }
}

/**
 * The demo's cutover rehearsal, after the load and its validation: with the sync following
 * and traffic running through the router, moves postgres-only -> dual-write -> shadow-reads ->
 * cosmos-reads (each after a catch-up and a ready full validation), rolls back to dual-write,
 * then validates once more with the traffic stopped. Bounded: a few seconds per stage.
 */
export async function rehearseCutover(
  env: Environment,
  output: Output,
): Promise<RehearsalResult> {
  const engine = createLocalEngine(env.config);
  const deps = engine.cutoverDeps();
  const flagsFile = path.relative(process.cwd(), deps.flags.location) || deps.flags.location;
  const follower = new SyncFollower(engine, REHEARSAL.syncIntervalMs);
  const traffic = startTraffic(trafficDepsOf(engine), {
    rate: REHEARSAL.rate,
    durationMs: REHEARSAL.trafficMaxMs,
    users: REHEARSAL.users,
    seed: REHEARSAL.seed,
  });
  const steps: RehearsalStep[] = [];
  const stagesReached: Stage[] = [];
  let trafficSummary: TrafficSummary | undefined;
  output.info('');
  output.info(
    `cutover rehearsal: ${REHEARSAL.rate} operations/s through the router as up to ${REHEARSAL.users} users, ` +
      `the sync following; flags in ${flagsFile}`,
  );
  try {
    const start = stageOf(await deps.flags.read()).stage;
    if (start) stagesReached.push(start);
    let ok = true;
    for (const stage of REHEARSAL.stages) {
      const validation = await readyValidation(engine, traffic, follower);
      const move = await follower.exclusive(async () => {
        await follower.round();
        await replayWrites(replayDepsOf(engine), engine.config.replay.batch);
        return moveToStage(deps, {
          stage,
          reason: `demo rehearsal: ${REHEARSAL.rate} operations/s of traffic, validation ${validation.validationId} ${validation.ready ? 'ready' : 'NOT ready'}`,
          actor: actor(),
        });
      });
      if (move.outcome === 'moved') {
        stagesReached.push(stage);
        await sleep(REHEARSAL.dwellMs);
      } else ok = false;
      steps.push(stepOf('move', move, validation, traffic));
      output.info(stepLine(steps.at(-1)!));
      if (!ok) break;
    }
    if (ok) {
      const back = await rollback(deps, {
        reason: 'demo rehearsal: back to dual-write, as on a failing watchdog',
        actor: actor(),
      });
      ok = back.outcome === 'moved';
      await sleep(REHEARSAL.dwellMs);
      steps.push(stepOf('rollback', back, null, traffic));
      output.info(stepLine(steps.at(-1)!));
    }
    traffic.stop();
    trafficSummary = await traffic.done;
    await follower.stop();
    await follower.round();
    await replayWrites(replayDepsOf(engine), engine.config.replay.batch);
    const finalSummary = await validateHere(engine);
    if (process.env.DEBUG_REHEARSAL) console.error(JSON.stringify(Object.values(finalSummary.entities).flatMap((e) => e!.differences), null, 1));
    const final = rehearsalValidation(finalSummary, false);
    ok &&= final.ready && trafficSummary.operations.serverErrors === 0;
    output.info(
      `  final full validation ${final.validationId}: ${final.ready ? 'READY' : 'NOT READY'}, consistency ${final.consistencyRate}` +
        ` (sync applied ${follower.totals.changesRead} changes in ${follower.totals.rounds} rounds)`,
    );
    output.info(trafficText(trafficSummary));
    return {
      ok,
      flagsFile,
      stagesReached,
      steps,
      finalStage: stageOf(await deps.flags.read()).stage,
      finalValidation: final,
      sync: {
        rounds: follower.totals.rounds,
        changesRead: follower.totals.changesRead,
        rowErrors: follower.totals.rowErrors,
      },
      traffic: trafficSummary,
    };
  } finally {
    traffic.stop();
    if (!trafficSummary) await traffic.done.catch(() => undefined);
    await follower.stop().catch(() => undefined);
    await engine.close();
  }
}

/**
 * The sync caught up and a full validation: first under the live traffic; when a write in
 * flight made it not ready (a row written after its range was read shows as missing), once
 * more with the traffic paused.
 */
async function readyValidation(
  engine: LocalEngine,
  traffic: TrafficRun,
  follower: SyncFollower,
): Promise<RehearsalValidation> {
  await follower.catchUp();
  const live = await validateHere(engine);
  if (live.ready) return rehearsalValidation(live, false);
  await traffic.pause();
  try {
    await follower.catchUp();
    return rehearsalValidation(await validateHere(engine), true);
  } finally {
    traffic.resume();
  }
}

const rehearsalValidation = (
  summary: ValidationSummary,
  trafficPaused: boolean,
): RehearsalValidation => ({
  validationId: summary.validationId,
  ready: summary.ready,
  consistencyRate: summary.consistencyRate,
  trafficPaused,
});

function stepOf(
  action: RehearsalStep['action'],
  result: MoveResult,
  validation: RehearsalValidation | null,
  traffic: TrafficRun,
): RehearsalStep {
  const { operations, stores } = traffic.snapshot();
  return {
    action,
    from: result.from,
    to: result.to,
    outcome: result.outcome,
    guards: result.guards,
    validation,
    traffic: { operations, stores },
  };
}

function guardText(guard: GuardCheck): string {
  const mark = guard.ok ? '' : 'FAIL ';
  if (guard.name === 'validation') return `${mark}validation ${guard.figure ?? '?'} s old`;
  if (guard.name === 'sync-lag')
    return `${mark}sync lag ${guard.figure === null ? '?' : Math.round(guard.figure * 10) / 10} s`;
  return `${mark}replay queue ${guard.figure ?? '?'}`;
}

/** One line per step: the stage, its guards' figures, the traffic so far per store. */
export function stepLine(step: RehearsalStep): string {
  const head =
    step.action === 'rollback'
      ? `rollback -> ${step.to}`
      : `${step.outcome === 'moved' ? '->' : `${step.outcome.toUpperCase()}:`} ${step.to}`;
  const validation = step.validation
    ? `${step.validation.ready ? 'ready' : 'NOT READY'}${step.validation.trafficPaused ? ' (traffic paused)' : ''}, `
    : '';
  const guards = step.guards.length
    ? `${validation}${step.guards.map(guardText).join(', ')}`
    : `from ${step.from ?? '?'}, no guard`;
  const { operations, stores } = step.traffic;
  const perStore = stores
    ? `: ${storeLine('postgres', stores.postgres)}; ${storeLine('cosmos', stores.cosmos)}`
    : '';
  return `  ${head.padEnd(24)} ${guards} | ${operations.completed} operations${perStore}`;
}
