import type { Queryable } from '../../source/queryable';
import type { AdvanceResult } from './change-stream';
import { compareLsn, normalizeLsn, type Lsn } from './lsn';
import type { ReplicationNames } from './names';
import { explainSlotFailure, sqlState } from './slot-errors';
import { readSlotState, usableSlot } from './slot-state';

const ADVANCE_SQL = `SELECT end_lsn::text AS end_lsn FROM pg_replication_slot_advance($1, $2::pg_lsn)`;

/**
 * Moves the slot's start to `lsn` (a batch's endLsn). PostgreSQL refuses a position behind
 * confirmed_flush ("minimum is …"); that means a replayed round is advancing again, which is
 * done, so it is checked first instead of being read out of the error text. The server also
 * never moves past its flushed WAL, so the result can be short of `lsn`.
 */
export async function advanceSlot(
  db: Queryable,
  names: ReplicationNames,
  lsn: Lsn,
): Promise<AdvanceResult> {
  const target = normalizeLsn(lsn);
  const before = await usableNow(db, names);
  if (compareLsn(before.confirmedFlushLsn, target) >= 0) {
    return { confirmedLsn: before.confirmedFlushLsn, moved: false };
  }
  try {
    const { rows } = await db.query(ADVANCE_SQL, [names.slot, target]);
    const confirmedLsn = normalizeLsn(rows[0].end_lsn);
    return { confirmedLsn, moved: compareLsn(confirmedLsn, before.confirmedFlushLsn) > 0 };
  } catch (error) {
    // Another advance may have gone past `target` in between: also done.
    if (sqlState(error) === '55000') {
      const after = await usableNow(db, names);
      if (compareLsn(after.confirmedFlushLsn, target) >= 0) {
        return { confirmedLsn: after.confirmedFlushLsn, moved: false };
      }
    }
    throw await explainSlotFailure(db, names, error);
  }
}

async function usableNow(db: Queryable, names: ReplicationNames) {
  const { state, position } = await readSlotState(db, names.slot);
  return usableSlot(state, position, names);
}
