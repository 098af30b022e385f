import type pg from 'pg';
import type { SetUpOptions, SyncSetUp } from './change-stream';
import { createSlot } from './create-slot';
import type { ReplicationNames } from './names';
import { ensurePublication } from './publication';
import {
  noFreeSlotError,
  slotExistsError,
  walLevelError,
  type SetUpContext,
} from './set-up-errors';
import { inspectSourceTables } from './source-tables';

const DEFAULT_TIMEOUT_MS = 60_000;

const SERVER_SQL = `
SELECT current_user AS role, current_database() AS database,
       current_setting('wal_level') AS wal_level,
       current_setting('max_replication_slots')::int AS max_slots,
       (SELECT count(*)::int FROM pg_replication_slots) AS used_slots,
       EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = $1) AS slot_exists`;

/**
 * The hand-off's first step, before the full load plans its batches: the publication, then
 * the slot (pgoutput looks the publication up as of each change, so it must exist first).
 * What can be checked without side effects is checked first, so a refusal leaves nothing
 * behind; a publication this call made is dropped again if the slot then fails. The
 * privilege to create slots is not checked up front: Amazon RDS grants it through a role
 * (rds_replication) rather than the REPLICATION attribute, so only trying tells.
 */
export async function setUpReplication(
  pool: pg.Pool,
  names: ReplicationNames,
  options: SetUpOptions = {},
): Promise<SyncSetUp> {
  const { rows } = await pool.query(SERVER_SQL, [names.slot]);
  const server = rows[0];
  const context: SetUpContext = {
    role: server.role,
    database: server.database,
    slot: names.slot,
    publication: names.publication,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  };
  if (server.wal_level !== 'logical') throw walLevelError(server.wal_level);
  if (server.slot_exists) throw slotExistsError(names.slot);
  if (server.used_slots >= server.max_slots) throw noFreeSlotError(server.max_slots);
  const tables = await inspectSourceTables(pool);
  const { created } = await ensurePublication(pool, tables, context);
  try {
    const startLsn = await createSlot(pool, context);
    return { slot: names.slot, publication: names.publication, startLsn };
  } catch (error) {
    if (created) {
      await pool.query(`DROP PUBLICATION IF EXISTS "${names.publication}"`).catch(() => undefined);
    }
    throw error;
  }
}
