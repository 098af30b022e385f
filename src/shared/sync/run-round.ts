import { ENTITY_NAMES } from '../entities/entity';
import { AppError, errorMessage } from '../errors/app-error';
import { RunStore } from '../migration/run-store';
import { summarizeRun } from '../migration/run-summary';
import { ApplyDeps, applyKeys } from './apply-keys';
import { RoundSummary, SyncState } from './records';
import { ChangeStream } from './replication';
import { addKeys, emptyKeys, keyCount } from './source-keys';
import { SyncStore } from './sync-store';

export interface SyncDeps extends ApplyDeps {
  stream: ChangeStream;
  syncStore: SyncStore;
  runs: Pick<RunStore, 'getRun' | 'getBatches'>;
  maxChanges: number;
}

export type RoundOutcome =
  | { kind: 'applied'; round: RoundSummary; more: boolean }
  /** The full load the slot was set up for has not finished: the slot keeps the changes. */
  | { kind: 'holding'; reason: string }
  /** Another round is under way (rounds never overlap). */
  | { kind: 'busy' };

/** Rows of sync errors kept in the state, newest last. */
const KEPT_ROW_ERRORS = 100;

/**
 * One round of continuous sync: the changes committed since the last round (at most
 * `maxChanges`, whole transactions), applied by key, then the slot advanced past them. A
 * crash before the advance replays the round, which is harmless. Nothing is applied until the
 * full load the slot was set up for has finished, so no load batch can overwrite a newer change.
 */
export async function runSyncRound(deps: SyncDeps): Promise<RoundOutcome> {
  const state = await deps.syncStore.get();
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
  const lock = await deps.stream.tryLockRound();
  if (!lock) return { kind: 'busy' };
  try {
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
    const applied = await applyKeys(deps, keys);
    if (!lock.held()) {
      throw new AppError(
        'SYNC_LOCK_LOST',
        'the round lost its lock before advancing the slot; the next round applies the same changes again',
        503,
      );
    }
    const advanced = await deps.stream.advance(batch.endLsn);
    const finishedAt = new Date();
    const round: RoundSummary = {
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      durationMs: finishedAt.getTime() - startedAt.getTime(),
      changesRead: batch.changes.length,
      keys: keyCount(keys),
      confirmedLsn: advanced.confirmedLsn,
      entities: Object.fromEntries(
        ENTITY_NAMES.map((name) => [
          name,
          {
            documentsUpserted: applied.entities[name].documentsUpserted,
            documentsDeleted: applied.entities[name].documentsDeleted,
          },
        ]),
      ) as RoundSummary['entities'],
      rowErrors: applied.rowErrors.length,
    };
    const totals = structuredClone(state.totals);
    totals.changesRead += round.changesRead;
    totals.rounds += 1;
    for (const name of ENTITY_NAMES) {
      totals.entities[name].documentsUpserted += round.entities[name].documentsUpserted;
      totals.entities[name].documentsDeleted += round.entities[name].documentsDeleted;
    }
    await deps.syncStore.save({
      ...state,
      status: 'following',
      confirmedLsn: round.confirmedLsn,
      totals,
      lastRound: round,
      rowErrors: [...state.rowErrors, ...applied.rowErrors].slice(-KEPT_ROW_ERRORS),
      error: null,
    });
    return { kind: 'applied', round, more: batch.more };
  } catch (error) {
    await recordFailure(deps, state, error);
    throw error;
  } finally {
    await lock.release().catch(() => undefined);
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
