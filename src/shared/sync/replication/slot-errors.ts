import { AppError } from '../../errors/app-error';
import { describePostgresError } from '../../postgres/errors';
import type { Queryable } from '../../source/queryable';
import { publicationMissing, slotBusy } from './errors';
import type { ReplicationNames } from './names';
import { readSlotState, usableSlot } from './slot-state';

const OBJECT_IN_USE = '55006';
const UNDEFINED_OBJECT = '42704';
const NOT_IN_PREREQUISITE_STATE = '55000';

export function sqlState(error: unknown): string | undefined {
  return (error as { code?: unknown } | null)?.code as string | undefined;
}

/**
 * Why a peek or an advance failed, decided by SQLSTATE and a fresh look at the slot rather
 * than by message text (which follows the server's lc_messages): a slot that is gone or
 * invalidated is SYNC_SLOT_LOST, "does not exist" for a slot still there is the publication.
 */
export async function explainSlotFailure(
  db: Queryable,
  names: ReplicationNames,
  error: unknown,
): Promise<AppError> {
  const code = sqlState(error);
  if (code === OBJECT_IN_USE || code === UNDEFINED_OBJECT || code === NOT_IN_PREREQUISITE_STATE) {
    let state;
    try {
      const { state: slot, position } = await readSlotState(db, names.slot);
      state = usableSlot(slot, position, names);
    } catch (lookup) {
      if (lookup instanceof AppError) return lookup;
      return describePostgresError(error);
    }
    if (code === OBJECT_IN_USE) return slotBusy(names.slot, state.activePid);
    if (code === UNDEFINED_OBJECT) return publicationMissing(names.publication);
  }
  return describePostgresError(error);
}
