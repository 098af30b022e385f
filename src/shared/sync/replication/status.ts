import { PgoutputPlugin } from 'pg-logical-replication';
import type { Queryable } from '../../source/queryable';
import type { SlotStatus, StatusOptions } from './change-stream';
import type { ReplicationNames } from './names';
import { PEEK_SQL } from './read';
import { explainSlotFailure } from './slot-errors';
import { readSlotState, usableSlot } from './slot-state';

/**
 * The slot's health. Retained WAL is what the source keeps on disk for the slot (from
 * restart_lsn, which trails confirmed_flush: it waits for the server's next snapshot of
 * running transactions); unconsumed is what was written since the last advance.
 */
export async function slotStatus(
  db: Queryable,
  names: ReplicationNames,
  options: StatusOptions = {},
): Promise<SlotStatus> {
  const { state, position } = await readSlotState(db, names.slot);
  const slot = usableSlot(state, position, names);
  const lag = options.lag === false ? null : await measureLag(db, names, position.flushLsn);
  return {
    slot: names.slot,
    publication: names.publication,
    database: slot.database,
    active: slot.active,
    activePid: slot.activePid,
    walStatus: slot.walStatus ?? 'unknown',
    safeWalSizeBytes: slot.safeWalSizeBytes,
    restartLsn: slot.restartLsn,
    confirmedFlushLsn: slot.confirmedFlushLsn,
    currentLsn: position.currentLsn,
    retainedWalBytes: slot.retainedWalBytes ?? 0,
    unconsumedBytes: slot.unconsumedBytes ?? 0,
    lagSeconds: lag?.seconds ?? null,
    oldestUnappliedCommitTime: lag?.commitTime ?? null,
  };
}

/**
 * Lag as the age of the oldest transaction not yet advanced past: the first row a peek of one
 * transaction returns is its BEGIN, which carries the commit time. LIMIT 1 keeps a huge first
 * transaction on the server. Both times are the server's, so client clock skew does not
 * count. A round holding the slot at that moment makes this null, not an error.
 */
async function measureLag(
  db: Queryable,
  names: ReplicationNames,
  upTo: string,
): Promise<{ seconds: number; commitTime: string | null } | null> {
  const sql = `SELECT peek.data, (extract(epoch FROM clock_timestamp()) * 1000000)::int8::text AS now_us
    FROM (${PEEK_SQL}) AS peek LIMIT 1`;
  let rows: { data: Buffer; now_us: string }[];
  try {
    ({ rows } = await db.query(sql, [names.slot, upTo, 1, names.publication]));
  } catch (error) {
    const explained = await explainSlotFailure(db, names, error);
    if (explained.code === 'SYNC_SLOT_BUSY') return null;
    throw explained;
  }
  const row = rows[0];
  if (!row) return { seconds: 0, commitTime: null };
  const begin = new PgoutputPlugin({ protoVersion: 1, publicationNames: [] }).parse(row.data);
  if (begin.tag !== 'begin') return null;
  const commitMicros = BigInt(begin.commitTime as bigint);
  const ageMicros = BigInt(row.now_us) - commitMicros;
  return {
    seconds: Math.max(0, Number(ageMicros) / 1e6),
    commitTime: new Date(Number(commitMicros / 1000n)).toISOString(),
  };
}
