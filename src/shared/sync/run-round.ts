import { ENTITY_NAMES } from '../entities/entity';
import { RowErrorRecord } from '../entities/row-error';
import { AppError, errorMessage } from '../errors/app-error';
import { timestampedId } from '../jobs/ids';
import { RunStore } from '../migration/run-store';
import { summarizeRun } from '../migration/run-summary';
import { MessageQueue } from '../queue/queue';
import { ApplyDeps, applyKeys } from './apply-keys';
import {
  emptyEntityTotals,
  EntityTotals,
  PendingRound,
  RoundSummary,
  syncBatchId,
  SyncBatchMessage,
  SyncBatchRecord,
  SyncState,
} from './records';
import { ChangeStream, RoundLock } from './replication';
import { addKeys, emptyKeys, keyCount } from './source-keys';
import { splitKeys } from './split-keys';
import { SyncStore } from './sync-store';

export interface SyncDeps extends ApplyDeps {
  stream: ChangeStream;
  syncStore: SyncStore;
  runs: Pick<RunStore, 'getRun' | 'getBatches'>;
  maxChanges: number;
  /** Where a round with more than `fanOutKeys` keys sends its parts (queue `sync-batches`). */
  syncQueue: MessageQueue<SyncBatchMessage>;
  fanOutKeys: number;
}

export type RoundOutcome =
  | { kind: 'applied'; round: RoundSummary; more: boolean }
  /** The full load the slot was set up for has not finished: the slot keeps the changes. */
  | { kind: 'holding'; reason: string }
  /** Another round is under way (rounds never overlap). */
  | { kind: 'busy' }
  /** Cosmos is the primary (cosmos-primary): nothing is applied until a rollback resumes the sync. */
  | { kind: 'paused' }
  /** The round's keys went to the sync queue in parts; a later round advances the slot. */
  | { kind: 'fanned-out'; parts: number }
  /** Parts of a fanned-out round are still being applied (failed ones were sent again). */
  | { kind: 'waiting'; pending: number; resent: number };

/** Rows of sync errors kept in the state, newest last. */
const KEPT_ROW_ERRORS = 100;
/** Keys per part of a fanned-out round. */
const KEYS_PER_PART = 2_000;

/**
 * One round of continuous sync: the changes committed since the last round (at most
 * `maxChanges`, whole transactions), applied by key, then the slot advanced past them. A
 * crash before the advance replays the round, which is harmless. Nothing is applied until the
 * full load the slot was set up for has finished, so no load batch can overwrite a newer change.
 * A round with many keys is applied in parts over the sync queue, and the slot advances once
 * every part is done.
 */
export async function runSyncRound(deps: SyncDeps): Promise<RoundOutcome> {
  const before = await activeState(deps.syncStore);
  if (before.status === 'paused') return { kind: 'paused' };
  const lock = await deps.stream.tryLockRound();
  if (!lock) return { kind: 'busy' };
  // Read again under the lock: a pause (which takes the lock) may have come in between.
  const state = await activeState(deps.syncStore).catch(async (error: unknown) => {
    await lock.release().catch(() => undefined);
    throw error;
  });
  if (state.status === 'paused') {
    await lock.release().catch(() => undefined);
    return { kind: 'paused' };
  }
  try {
    if (state.pendingRound) return await finishPendingRound(deps, state, state.pendingRound, lock);
    const holding = await loadUnfinished(deps, state);
    if (holding) {
      await deps.syncStore.save({ ...state, status: 'holding', error: null });
      return { kind: 'holding', reason: holding };
    }
    const startedAt = new Date();
    const batch = await deps.stream.read({ maxChanges: deps.maxChanges });
    const keys = emptyKeys();
    for (const change of batch.changes) {
      addKeys(keys, change.table, [
        change.key.id,
        change.op === 'update' ? change.oldKey?.id : undefined,
      ]);
    }
    const counted = { startedAt, changesRead: batch.changes.length, keys: keyCount(keys) };
    if (counted.keys > deps.fanOutKeys) {
      const parts = Math.ceil(counted.keys / KEYS_PER_PART);
      const pending: PendingRound = {
        id: timestampedId('round'),
        endLsn: batch.endLsn,
        ...counted,
        startedAt: startedAt.toISOString(),
        parts,
      };
      const records = splitKeys(keys, parts).map((lists, seq): SyncBatchRecord => ({
        id: syncBatchId(pending.id, seq),
        pk: 'sync',
        type: 'syncBatch',
        roundId: pending.id,
        seq,
        status: 'queued',
        attempts: 0,
        keys: lists,
        entities: null,
        rowErrors: 0,
        lastError: null,
        finishedAt: null,
      }));
      await deps.syncStore.saveBatches(records);
      // Recorded before sending: a crash in between leaves the round pending, and the next
      // round sends its unfinished parts again.
      await deps.syncStore.save({ ...state, status: 'following', pendingRound: pending });
      await sendParts(deps, records);
      return { kind: 'fanned-out', parts };
    }
    const applied = await applyKeys(deps, keys);
    const round = await advanceRound(deps, state, lock, batch.endLsn, {
      ...counted,
      entities: applied.entities,
      rowErrors: applied.rowErrors,
      rowErrorCount: applied.rowErrors.length,
    });
    return { kind: 'applied', round, more: batch.more };
  } catch (error) {
    await recordFailure(deps, state, error);
    throw error;
  } finally {
    await lock.release().catch(() => undefined);
  }
}

async function activeState(store: SyncStore): Promise<SyncState> {
  const state = await store.get();
  if (!state) {
    throw new AppError(
      'SYNC_NOT_SET_UP',
      'no sync is set up for this target: a migrate sets one up',
      404,
    );
  }
  if (state.status === 'stopped') {
    throw new AppError(
      'SYNC_STOPPED',
      `the sync was stopped (slot ${state.slot} dropped); a new migrate sets one up`,
      409,
    );
  }
  return state;
}

/** Advances once every part is done; sends failed (or never sent) parts again. */
async function finishPendingRound(
  deps: SyncDeps,
  state: SyncState,
  pending: PendingRound,
  lock: RoundLock,
): Promise<RoundOutcome> {
  const parts = await deps.syncStore.getBatches(pending.id, pending.parts);
  const unfinished = parts.filter((part) => part.status !== 'done');
  if (parts.length === pending.parts && unfinished.length === 0) {
    const entities = emptyEntityTotals();
    for (const part of parts) addTotals(entities, part.entities ?? emptyEntityTotals());
    const round = await advanceRound(deps, state, lock, pending.endLsn, {
      startedAt: new Date(pending.startedAt),
      changesRead: pending.changesRead,
      keys: pending.keys,
      entities,
      rowErrors: [],
      rowErrorCount: parts.reduce((n, part) => n + part.rowErrors, 0),
    });
    return { kind: 'applied', round, more: true };
  }
  const failed = unfinished.filter((part) => part.status === 'failed');
  if (failed.length > 0) {
    const resend = failed.map((part) => ({ ...part, status: 'queued' as const }));
    await deps.syncStore.saveBatches(resend);
    await sendParts(deps, resend);
    await deps.syncStore.save({
      ...state,
      error: {
        code: 'SYNC_PART_FAILED',
        message: `part ${failed[0]!.seq} of round ${pending.id} failed (${failed[0]!.lastError}); sent again`,
        at: new Date().toISOString(),
      },
    });
  }
  return { kind: 'waiting', pending: unfinished.length, resent: failed.length };
}

async function sendParts(deps: SyncDeps, parts: SyncBatchRecord[]): Promise<void> {
  await deps.syncQueue.send(
    parts.map((part) => ({
      // A part sent again is a new message: duplicate detection would drop the same id.
      messageId: `${part.id}#${part.attempts}`,
      body: { roundId: part.roundId, seq: part.seq },
    })),
  );
}

interface Applied {
  startedAt: Date;
  changesRead: number;
  keys: number;
  entities: Record<string, EntityTotals>;
  /** Kept in the sync's state (an inline round has them; a fanned-out round only counts). */
  rowErrors: RowErrorRecord[];
  rowErrorCount: number;
}

/** Moves the slot past the round and records it: only after every document of it is written. */
async function advanceRound(
  deps: SyncDeps,
  state: SyncState,
  lock: RoundLock,
  endLsn: string,
  applied: Applied,
): Promise<RoundSummary> {
  if (!lock.held()) {
    throw new AppError(
      'SYNC_LOCK_LOST',
      'the round lost its lock before advancing the slot; the next round applies the same changes again',
      503,
    );
  }
  const advanced = await deps.stream.advance(endLsn);
  const finishedAt = new Date();
  const entities = emptyEntityTotals();
  addTotals(entities, applied.entities);
  const round: RoundSummary = {
    startedAt: applied.startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationMs: finishedAt.getTime() - applied.startedAt.getTime(),
    changesRead: applied.changesRead,
    keys: applied.keys,
    confirmedLsn: advanced.confirmedLsn,
    entities,
    rowErrors: applied.rowErrorCount,
  };
  const totals = structuredClone(state.totals);
  totals.changesRead += round.changesRead;
  totals.rounds += 1;
  addTotals(totals.entities, round.entities);
  await deps.syncStore.save({
    ...state,
    status: 'following',
    confirmedLsn: round.confirmedLsn,
    totals,
    lastRound: round,
    rowErrors: [...state.rowErrors, ...applied.rowErrors].slice(-KEPT_ROW_ERRORS),
    error: null,
    pendingRound: null,
  });
  return round;
}

function addTotals(into: Record<string, EntityTotals>, from: Record<string, EntityTotals>): void {
  for (const name of ENTITY_NAMES) {
    into[name]!.documentsUpserted += from[name]?.documentsUpserted ?? 0;
    into[name]!.documentsDeleted += from[name]?.documentsDeleted ?? 0;
  }
}

/** Why the sync must still hold its changes, or undefined when the full load has finished. */
async function loadUnfinished(deps: SyncDeps, state: SyncState): Promise<string | undefined> {
  const run = await deps.runs.getRun(state.runId);
  // Set up just before its run is recorded: the load has not even been planned yet.
  if (!run) return `the full load ${state.runId} has not been planned yet`;
  const summary = summarizeRun(run, await deps.runs.getBatches(run));
  if (summary.status === 'running') return `the full load ${state.runId} is still running`;
  if (summary.status === 'failed') {
    return `the full load ${state.runId} has ${summary.failedBatches.length} failed batches: finish it with cosmos-migration resume ${state.runId}`;
  }
  return undefined;
}

/** A stop the operator must act on (a lost slot, a TRUNCATE, a schema change) shows in the state. */
async function recordFailure(deps: SyncDeps, state: SyncState, error: unknown): Promise<void> {
  if (!(error instanceof AppError) || !error.code.startsWith('SYNC_')) return;
  await deps.syncStore
    .save({
      ...state,
      status: 'failed',
      error: { code: error.code, message: errorMessage(error), at: new Date().toISOString() },
    })
    .catch(() => undefined);
}
