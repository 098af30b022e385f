import type { Queryable } from '../../source/queryable';
import type { ChangeBatch, ReadOptions } from './change-stream';
import { decodeChanges, type PeekedRow } from './decode';
import { decodeFailed, invalidArgument } from './errors';
import { maxLsn } from './lsn';
import type { ReplicationNames } from './names';
import { explainSlotFailure } from './slot-errors';
import { readSlotState, usableSlot } from './slot-state';

/**
 * Peek, not get: nothing moves until the round has applied the changes and calls advance, so
 * a crash replays the round. Binary, because pgoutput's output is binary; both options are
 * required by pgoutput. upto_nchanges is an int4.
 */
export const PEEK_SQL = `
SELECT lsn::text AS lsn, xid::text AS xid, data
FROM pg_logical_slot_peek_binary_changes($1, $2::pg_lsn, $3::int4,
  'proto_version', '1', 'publication_names', $4)`;

const MAX_INT4 = 2 ** 31 - 1;

export async function readChanges(
  db: Queryable,
  names: ReplicationNames,
  { maxChanges }: ReadOptions,
): Promise<ChangeBatch> {
  if (!Number.isSafeInteger(maxChanges) || maxChanges < 1 || maxChanges > MAX_INT4) {
    throw invalidArgument(
      `maxChanges must be a whole number from 1 to ${MAX_INT4}, not ${maxChanges}`,
    );
  }
  const { state, position } = await readSlotState(db, names.slot);
  const slot = usableSlot(state, position, names);
  // The flushed position, not pg_current_wal_lsn() (the written one): decoding reads only
  // flushed WAL, so claiming "read up to" a written-but-unflushed position would let an
  // advance skip commits logged between the two.
  const upTo = position.flushLsn;
  let rows: PeekedRow[];
  try {
    ({ rows } = await db.query(PEEK_SQL, [names.slot, upTo, maxChanges, names.publication]));
  } catch (error) {
    throw await explainSlotFailure(db, names, error);
  }
  const decoded = decodeChanges(rows);
  // PostgreSQL stops after the transaction that reached the limit: there may be more.
  const more = rows.length >= maxChanges;
  if (more && decoded.lastCommitEndLsn === null) {
    throw decodeFailed(`${rows.length} messages without a whole transaction`);
  }
  // Cut short: up to the last whole transaction, so the next read starts right after it.
  // Not cut short: everything up to `upTo` has been seen, including WAL of other tables and
  // transactions that published nothing (skipped since PostgreSQL 15), which an idle slot
  // would otherwise hold on to. The last commit can end past `upTo` when it straddles it.
  const seen = decoded.lastCommitEndLsn ? maxLsn(upTo, decoded.lastCommitEndLsn) : upTo;
  const endLsn = maxLsn(more ? decoded.lastCommitEndLsn! : seen, slot.confirmedFlushLsn);
  return {
    changes: decoded.changes,
    endLsn,
    more,
    currentLsn: upTo,
    messages: rows.length,
    transactions: decoded.transactions,
  };
}
