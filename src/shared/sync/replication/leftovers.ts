import type { Queryable } from '../../source/queryable';
import { PUBLICATION_PREFIX, SLOT_PREFIX } from './names';

export interface LeftoverSlot {
  slot: string;
  /** Slots belong to the whole server; this is the database the slot decodes. */
  database: string | null;
  active: boolean;
  activePid: number | null;
  walStatus: string | null;
  /** WAL the server keeps for it; null once it is invalidated. */
  retainedWalBytes: number | null;
}

export interface LeftoverPublication {
  publication: string;
  tables: string[];
}

export interface Leftovers {
  slots: LeftoverSlot[];
  /** Of the connected database only: publications are per database. */
  publications: LeftoverPublication[];
}

/**
 * Every slot and publication carrying this tool's prefix, for preflight: an abandoned slot
 * fills the source's disk, and every slot takes one of max_replication_slots.
 */
export async function listLeftovers(db: Queryable): Promise<Leftovers> {
  const slots = await db.query(
    `SELECT slot_name, database, active, active_pid, to_jsonb(s)->>'wal_status' AS wal_status,
            pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::text AS retained
     FROM pg_replication_slots s WHERE starts_with(slot_name::text, $1) ORDER BY slot_name`,
    [SLOT_PREFIX],
  );
  const publications = await db.query(
    `SELECT p.pubname,
            ARRAY(SELECT format('%I.%I', pt.schemaname, pt.tablename) FROM pg_publication_tables pt
                  WHERE pt.pubname = p.pubname ORDER BY 1) AS tables
     FROM pg_publication p WHERE starts_with(p.pubname::text, $1) ORDER BY p.pubname`,
    [PUBLICATION_PREFIX],
  );
  return {
    slots: slots.rows.map((row) => ({
      slot: row.slot_name,
      database: row.database,
      active: row.active,
      activePid: row.active_pid,
      walStatus: row.wal_status,
      retainedWalBytes: row.retained === null ? null : Number(row.retained),
    })),
    publications: publications.rows.map((row) => ({
      publication: row.pubname,
      tables: row.tables,
    })),
  };
}
