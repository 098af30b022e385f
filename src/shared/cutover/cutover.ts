import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { badRequest, conflict } from '../errors/app-error';
import { FlagSnapshot, FlagStore } from '../flags/flag-store';
import { allGuards, cooldownGuard, guardsFor, replayCheck } from './guards';
import { CUTOVER_AUDIT_PK, CutoverAuditEntry, CutoverDeps, GuardCheck } from './ports';
import {
  isStage,
  readPercentFor,
  ROLLBACK_STAGE,
  Stage,
  stageIndex,
  stageOf,
  STAGES,
  stageWrites,
} from './stages';

export interface CutoverStatus {
  stage: Stage | null;
  cosmosReadPercent: number;
  /** The next stage forward, null at the end (or when the flags match no stage). */
  next: Stage | null;
  migrationEnabled: boolean;
  dualWriteStrategy: FlagSnapshot['dualWriteStrategy'];
  flags: Record<string, { enabled: boolean; cosmosReadPercent?: number }>;
  /** What a move forward from here is judged on, with each figure. */
  guards: GuardCheck[];
  flagStore: string;
  recentChanges: CutoverAuditEntry[];
}

export interface MoveRequest {
  stage: string;
  reason: string;
  percent?: number;
  force?: boolean;
  actor: string;
}

export interface MoveResult {
  /** `moved`; `unchanged` (already there); `refused` by a guard (`refusedBy` names them). */
  outcome: 'moved' | 'unchanged' | 'refused';
  from: Stage | null;
  to: Stage;
  cosmosReadPercent: number;
  guards: GuardCheck[];
  refusedBy: GuardCheck['name'][];
  audit: CutoverAuditEntry | null;
}

const RECENT_CHANGES = 10;

export async function cutoverStatus(deps: CutoverDeps): Promise<CutoverStatus> {
  const now = deps.now?.() ?? new Date();
  const snapshot = await deps.flags.read();
  const { stage, cosmosReadPercent } = stageOf(snapshot);
  const cooldown = deps.thresholds.watchdogCooldownSeconds ?? 0;
  const [guards, recentChanges] = await Promise.all([
    allGuards(deps.readings, deps.thresholds, now).then(async (checks) =>
      cooldown > 0 ? [...checks, await cooldownGuard(deps.audit, cooldown, now)] : checks,
    ),
    deps.audit.recent(RECENT_CHANGES),
  ]);
  const index = stage === null ? -1 : stageIndex(stage);
  return {
    stage,
    cosmosReadPercent,
    next: stage === null ? null : (STAGES[index + 1] ?? null),
    migrationEnabled: snapshot.flags['Migration.Enabled'].flag.enabled,
    dualWriteStrategy: snapshot.dualWriteStrategy,
    flags: describeFlags(snapshot),
    guards,
    flagStore: deps.flags.location,
    recentChanges,
  };
}

export function describeFlags(snapshot: FlagSnapshot): CutoverStatus['flags'] {
  const { cosmosReadPercent } = stageOf(snapshot);
  return Object.fromEntries(
    Object.entries(snapshot.flags).map(([name, { flag }]) => [
      name,
      name === 'Cutover.CosmosReads'
        ? { enabled: flag.enabled, cosmosReadPercent }
        : { enabled: flag.enabled },
    ]),
  );
}

/**
 * Moves one stage forward or back (docs/cutover.md). Forward moves need their guards to hold,
 * or `force`; a skipped stage is refused, and so is every move from cosmos-only. Moving to
 * cosmos-primary first drains the sync and pauses it; moving back from it resumes the sync.
 * Every move is audited.
 */
export async function moveToStage(deps: CutoverDeps, request: MoveRequest): Promise<MoveResult> {
  const target = parseStage(request.stage);
  const reason = requireReason(request.reason);
  if (request.percent !== undefined && target !== 'cosmos-reads')
    throw badRequest('INVALID_ARGUMENTS', '--percent applies to cosmos-reads only');
  if (
    request.percent !== undefined &&
    !(Number.isInteger(request.percent) && request.percent >= 1 && request.percent <= 100)
  )
    throw badRequest(
      'INVALID_ARGUMENTS',
      `percent must be a whole number from 1 to 100, not ${request.percent}`,
    );

  const snapshot = await deps.flags.read();
  const { stage: from, cosmosReadPercent: currentPercent } = stageOf(snapshot);
  if (from === null)
    throw conflict(
      'CUTOVER_FLAGS_UNKNOWN',
      `the flags in ${deps.flags.location} match no stage (set by hand?): a rollback sets them to ${ROLLBACK_STAGE}`,
    );
  if (from === 'cosmos-only')
    throw conflict(
      'CUTOVER_FINAL',
      'cosmos-only is the last stage: the slot is gone and PostgreSQL no longer gets writes',
    );
  const step = stageIndex(target) - stageIndex(from);
  if (Math.abs(step) > 1)
    throw badRequest(
      'CUTOVER_SKIPPED_STEP',
      `${from} -> ${target} skips ${Math.abs(step) - 1} stage(s): move one stage at a time${step < 0 ? `, or roll back to ${ROLLBACK_STAGE}` : ''}`,
    );
  const percent = readPercentFor(target, request.percent, currentPercent);
  const widening = step === 0 && target === 'cosmos-reads' && percent > currentPercent;
  if (step === 0 && percent === currentPercent)
    return {
      outcome: 'unchanged',
      from,
      to: target,
      cosmosReadPercent: percent,
      guards: [],
      refusedBy: [],
      audit: null,
    };

  const now = deps.now?.() ?? new Date();
  // Widening Cosmos's share of reads is judged as a move forward is.
  const guards = await guardsFor(
    widening ? 'shadow-reads' : from,
    target,
    deps.readings,
    deps.thresholds,
    now,
  );
  const cooldown = deps.thresholds.watchdogCooldownSeconds ?? 0;
  if (cooldown > 0 && (step > 0 || widening))
    guards.push(await cooldownGuard(deps.audit, cooldown, now));
  const failing = guards.filter((guard) => !guard.ok).map((guard) => guard.name);
  if (failing.length > 0 && !request.force)
    return {
      outcome: 'refused',
      from,
      to: target,
      cosmosReadPercent: currentPercent,
      guards,
      refusedBy: failing,
      audit: null,
    };

  const sync: CutoverAuditEntry['sync'] = {};
  if (target === 'cosmos-primary' && from === 'cosmos-reads')
    sync.paused = await deps.sync.drainAndPause();
  await deps.flags.write(stageWrites(snapshot, target, percent));
  if (from === 'cosmos-primary' && target === 'cosmos-reads') {
    await deps.sync.resume();
    sync.resumed = true;
  }
  if (target === 'cosmos-only') sync.stopped = await deps.sync.stop();
  const audit = auditEntry({
    at: now,
    actor: request.actor,
    trigger: 'manual',
    from,
    to: target,
    reason,
    force: Boolean(request.force) && failing.length > 0,
    cosmosReadPercent: percent,
    guards,
    sync,
  });
  await deps.audit.record(audit);
  return {
    outcome: 'moved',
    from,
    to: target,
    cosmosReadPercent: percent,
    guards,
    refusedBy: [],
    audit,
  };
}

export interface RollbackRequest {
  reason: string;
  actor: string;
  trigger?: 'rollback' | 'watchdog';
  evidence?: unknown;
  /** How long to wait for failed PostgreSQL writes to be replayed (from cosmos-primary). */
  replayWaitMs?: number;
}

const REPLAY_POLL_MS = 1_000;
const DEFAULT_REPLAY_WAIT_MS = 60_000;

/**
 * Back to dual-write, the last stage that reads from PostgreSQL with every write in it, from
 * wherever the flags are (hand-set ones included), but not from cosmos-only. From
 * cosmos-primary it first waits for the replay queue to empty (refused if it does not in
 * time), then turns Cosmos's writes off before its reads, then resumes the sync.
 */
export async function rollback(deps: CutoverDeps, request: RollbackRequest): Promise<MoveResult> {
  const reason = requireReason(request.reason);
  const snapshot = await deps.flags.read();
  const { stage: from } = stageOf(snapshot);
  const to = ROLLBACK_STAGE;
  if (from === 'cosmos-only')
    throw conflict(
      'CUTOVER_FINAL',
      'cosmos-only is the last stage: there is nothing to roll back to',
    );
  if (from !== null && stageIndex(from) <= stageIndex(to))
    return {
      outcome: 'unchanged',
      from,
      to: from,
      cosmosReadPercent: 0,
      guards: [],
      refusedBy: [],
      audit: null,
    };

  const guards: GuardCheck[] = [];
  if (from === 'cosmos-primary' || from === null) {
    const replay = await waitForReplays(
      deps,
      request.replayWaitMs ?? deps.thresholds.replayWaitMs ?? DEFAULT_REPLAY_WAIT_MS,
    );
    guards.push(replay);
    if (!replay.ok)
      return {
        outcome: 'refused',
        from,
        to,
        cosmosReadPercent: stageOf(snapshot).cosmosReadPercent,
        guards,
        refusedBy: ['replay-queue'],
        audit: null,
      };
  }
  await deps.flags.write(stageWrites(snapshot, to, 0));
  const sync: CutoverAuditEntry['sync'] = {};
  if (from === 'cosmos-primary' || from === null) {
    await deps.sync.resume();
    sync.resumed = true;
  }
  const audit = auditEntry({
    at: deps.now?.() ?? new Date(),
    actor: request.actor,
    trigger: request.trigger ?? 'rollback',
    from,
    to,
    reason,
    force: false,
    cosmosReadPercent: 0,
    guards,
    sync,
    ...(request.evidence !== undefined ? { evidence: request.evidence } : {}),
  });
  await deps.audit.record(audit);
  return { outcome: 'moved', from, to, cosmosReadPercent: 0, guards, refusedBy: [], audit };
}

async function waitForReplays(deps: CutoverDeps, waitMs: number): Promise<GuardCheck> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    await deps.replayNow?.();
    const pending = await deps.readings.pendingReplays();
    if (pending === 0 || Date.now() >= deadline)
      return replayCheck(pending, `after ${Math.round(waitMs / 1000)} s`);
    await sleep(REPLAY_POLL_MS);
  }
}

function parseStage(value: string): Stage {
  if (!isStage(value))
    throw badRequest(
      'CUTOVER_INVALID_STAGE',
      `"${value}" is not a stage: one of ${STAGES.join(', ')}`,
    );
  return value;
}

function requireReason(reason: string): string {
  const trimmed = reason?.trim() ?? '';
  if (!trimmed)
    throw badRequest('INVALID_ARGUMENTS', 'a reason is required: every stage change is audited');
  return trimmed;
}

function auditEntry(
  fields: Omit<CutoverAuditEntry, 'id' | 'pk' | 'type' | 'at'> & { at: Date },
): CutoverAuditEntry {
  const at = fields.at.toISOString();
  return {
    ...fields,
    id: `cutoverAudit:${at}:${randomUUID().slice(0, 8)}`,
    pk: CUTOVER_AUDIT_PK,
    type: 'cutoverAudit',
    at,
  };
}

export interface FlagsReport {
  store: string;
  stage: Stage | null;
  dualWriteStrategy: FlagSnapshot['dualWriteStrategy'];
  /** In the `feature_management.feature_flags` schema; `stored: false` for a default not written yet. */
  flags: (FlagSnapshot['flags'][keyof FlagSnapshot['flags']]['flag'] & { stored: boolean })[];
}

export async function readFlags(store: FlagStore): Promise<FlagsReport> {
  const snapshot = await store.read();
  return {
    store: store.location,
    stage: stageOf(snapshot).stage,
    dualWriteStrategy: snapshot.dualWriteStrategy,
    flags: Object.values(snapshot.flags).map(({ flag, etag }) => ({
      ...flag,
      stored: etag !== null,
    })),
  };
}
