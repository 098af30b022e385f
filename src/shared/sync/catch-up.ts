import { ENTITY_NAMES, EntityName } from '../entities/entity';
import { emptyEntityTotals, EntityTotals } from './records';
import { runSyncRound, SyncDeps } from './run-round';

export interface CatchUpResult {
  /**
   * `caught-up`: everything committed when it started is applied; `fanned-out` / `waiting`: a
   * round's parts are on the sync queue, and a later call advances the slot once they are done.
   */
  outcome: 'caught-up' | 'holding' | 'busy' | 'paused' | 'round-limit' | 'fanned-out' | 'waiting';
  /** Why it holds (the full load has not finished), when it does. */
  reason?: string;
  rounds: number;
  changesRead: number;
  entities: Record<EntityName, EntityTotals>;
  rowErrors: number;
  confirmedLsn: string | null;
}

/**
 * Rounds until the slot has nothing more than it had when the last round started: what was
 * committed up to now is in Cosmos. Bounded by `maxRounds`, so an invocation ends in time.
 */
export async function catchUp(deps: SyncDeps, maxRounds: number): Promise<CatchUpResult> {
  const result = emptyCatchUp();
  while (result.rounds < maxRounds) {
    const outcome = await runSyncRound(deps);
    if (outcome.kind !== 'applied') {
      result.outcome = outcome.kind;
      if (outcome.kind === 'holding') result.reason = outcome.reason;
      return result;
    }
    result.rounds++;
    result.changesRead += outcome.round.changesRead;
    result.rowErrors += outcome.round.rowErrors;
    result.confirmedLsn = outcome.round.confirmedLsn;
    for (const name of ENTITY_NAMES) {
      result.entities[name].documentsUpserted += outcome.round.entities[name].documentsUpserted;
      result.entities[name].documentsDeleted += outcome.round.entities[name].documentsDeleted;
    }
    if (!outcome.more) {
      result.outcome = 'caught-up';
      return result;
    }
  }
  return result;
}

export function emptyCatchUp(): CatchUpResult {
  return {
    outcome: 'round-limit',
    rounds: 0,
    changesRead: 0,
    entities: emptyEntityTotals(),
    rowErrors: 0,
    confirmedLsn: null,
  };
}

/** Adds a later catch-up into `into` (a follow's running total); the outcome is the later one's. */
export function addCatchUp(into: CatchUpResult, later: CatchUpResult): void {
  into.outcome = later.outcome;
  into.reason = later.reason;
  into.rounds += later.rounds;
  into.changesRead += later.changesRead;
  into.rowErrors += later.rowErrors;
  into.confirmedLsn = later.confirmedLsn ?? into.confirmedLsn;
  for (const name of ENTITY_NAMES) {
    into.entities[name].documentsUpserted += later.entities[name].documentsUpserted;
    into.entities[name].documentsDeleted += later.entities[name].documentsDeleted;
  }
}
