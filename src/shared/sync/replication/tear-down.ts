import { setTimeout as sleep } from 'node:timers/promises';
import type { Queryable } from '../../source/queryable';
import type { TearDownOptions, TearDownResult } from './change-stream';
import { slotBusy, syncError } from './errors';
import type { ReplicationNames } from './names';
import { sqlState } from './slot-errors';

const DEFAULT_WAIT_MS = 10_000;
const POLL_MS = 200;
/** A sync still running keeps taking the slot back; past this, tear-down gives up and says so. */
const MAX_TERMINATIONS = 5;

const SLOT_SQL = `
SELECT database, active_pid, database IS NOT DISTINCT FROM current_database() AS ours
FROM pg_replication_slots WHERE slot_name = $1`;

/** Drops the slot only while no session holds it (a slot in use cannot be dropped). */
const DROP_SLOT_SQL = `
SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
WHERE slot_name = $1 AND NOT active AND database = current_database()`;

/**
 * Ends whichever backend holds this slot, found by the slot's own active_pid in the same
 * statement, so no other session can be hit. Waits up to 5 s for it to go.
 */
const TERMINATE_HOLDER_SQL = `
SELECT active_pid AS pid, pg_terminate_backend(active_pid, 5000) AS terminated
FROM pg_replication_slots WHERE slot_name = $1 AND active_pid IS NOT NULL`;

/**
 * The slot first: it is what holds WAL on the source. A session still using it is a round
 * finishing (a peek or an advance takes well under a second) or a reader whose client went
 * away mid-call, which PostgreSQL notices only when it next writes to the socket; after
 * `waitMs` that backend is ended. Only this tool's names reach here (`assertOwnNames`), and
 * a slot of that name decoding another database (slots are server-wide) is that database's
 * sync, so it is refused rather than dropped. Idempotent.
 */
export async function tearDownReplication(
  db: Queryable,
  names: ReplicationNames,
  options: TearDownOptions = {},
): Promise<TearDownResult> {
  const deadline = Date.now() + (options.waitMs ?? DEFAULT_WAIT_MS);
  let terminatedPid: number | null = null;
  let droppedSlot = false;
  for (let terminations = 0; ;) {
    const { rows } = await db.query(SLOT_SQL, [names.slot]);
    const slot = rows[0];
    if (!slot) break; // already gone
    if (!slot.ours) {
      throw syncError(
        'SYNC_SLOT_MISMATCH',
        `replication slot ${names.slot} decodes database ${slot.database}, not this one: tear it down from there`,
      );
    }
    if (await dropIfIdle(db, names.slot)) {
      droppedSlot = true;
      break;
    }
    if (Date.now() < deadline) {
      await sleep(POLL_MS);
    } else {
      if (terminations++ === MAX_TERMINATIONS) throw slotBusy(names.slot, slot.active_pid);
      terminatedPid = (await terminateHolder(db, names.slot)) ?? terminatedPid;
    }
  }
  const { rows: publications } = await db.query(`SELECT 1 FROM pg_publication WHERE pubname = $1`, [
    names.publication,
  ]);
  await db.query(`DROP PUBLICATION IF EXISTS "${names.publication}"`);
  return { droppedSlot, droppedPublication: publications.length > 0, terminatedPid };
}

/** False when a session holds the slot, also when it took the slot between the check and the drop. */
async function dropIfIdle(db: Queryable, slot: string): Promise<boolean> {
  try {
    const { rows } = await db.query(DROP_SLOT_SQL, [slot]);
    return rows.length > 0;
  } catch (error) {
    if (sqlState(error) === '55006') return false; // object_in_use
    throw error;
  }
}

async function terminateHolder(db: Queryable, slot: string): Promise<number | null> {
  try {
    const { rows } = await db.query(TERMINATE_HOLDER_SQL, [slot]);
    return rows[0]?.pid ?? null;
  } catch (error) {
    if (sqlState(error) !== '42501') throw error;
    throw syncError(
      'SYNC_TERMINATE_DENIED',
      `replication slot ${slot} is held by a session this role may not end: end it as its owner or an administrator (SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = '${slot}'), then tear down again`,
      409,
      error,
    );
  }
}
