import type { Queryable } from '../../source/queryable';
import { slotLost, syncError } from './errors';
import { normalizeLsn, type Lsn } from './lsn';
import type { ReplicationNames } from './names';

/** pg_replication_slots for one slot, with the server's WAL positions at the same moment. */
export interface SlotState {
  slot: string;
  database: string;
  plugin: string | null;
  slotType: string;
  active: boolean;
  activePid: number | null;
  walStatus: string | null;
  safeWalSizeBytes: number | null;
  restartLsn: Lsn | null;
  confirmedFlushLsn: Lsn | null;
  invalidationReason: string | null;
  conflicting: boolean;
  retainedWalBytes: number | null;
  unconsumedBytes: number | null;
}

export interface ServerPosition {
  currentDatabase: string;
  /** pg_current_wal_lsn(): what the server has written, the measure of retained WAL. */
  currentLsn: Lsn;
  /** pg_current_wal_flush_lsn(): the furthest logical decoding reads, so the furthest a read may claim. */
  flushLsn: Lsn;
}

/**
 * One query, so the slot and the positions are consistent. Columns newer than PostgreSQL 13
 * (invalidation_reason, conflicting) are read through to_jsonb so older servers answer too.
 */
const SLOT_STATE_SQL = `
SELECT s.slot_name, s.database, s.plugin, s.slot_type, s.active, s.active_pid,
       to_jsonb(s)->>'wal_status' AS wal_status,
       to_jsonb(s)->>'safe_wal_size' AS safe_wal_size,
       s.restart_lsn::text AS restart_lsn,
       s.confirmed_flush_lsn::text AS confirmed_flush_lsn,
       to_jsonb(s)->>'invalidation_reason' AS invalidation_reason,
       coalesce((to_jsonb(s)->>'conflicting')::boolean, false) AS conflicting,
       pg_wal_lsn_diff(pg_current_wal_lsn(), s.restart_lsn)::text AS retained,
       pg_wal_lsn_diff(pg_current_wal_lsn(), s.confirmed_flush_lsn)::text AS unconsumed,
       current_database() AS current_database,
       pg_current_wal_lsn()::text AS current_lsn,
       pg_current_wal_flush_lsn()::text AS flush_lsn
FROM (SELECT 1) AS one
LEFT JOIN pg_replication_slots s ON s.slot_name = $1`;

export async function readSlotState(
  db: Queryable,
  slot: string,
): Promise<{ state: SlotState | null; position: ServerPosition }> {
  const { rows } = await db.query(SLOT_STATE_SQL, [slot]);
  const row = rows[0];
  const position: ServerPosition = {
    currentDatabase: row.current_database,
    currentLsn: normalizeLsn(row.current_lsn),
    flushLsn: normalizeLsn(row.flush_lsn),
  };
  if (row.slot_name === null) return { state: null, position };
  return {
    position,
    state: {
      slot: row.slot_name,
      database: row.database,
      plugin: row.plugin,
      slotType: row.slot_type,
      active: row.active,
      activePid: row.active_pid,
      walStatus: row.wal_status,
      safeWalSizeBytes: numberOrNull(row.safe_wal_size),
      restartLsn: row.restart_lsn === null ? null : normalizeLsn(row.restart_lsn),
      confirmedFlushLsn:
        row.confirmed_flush_lsn === null ? null : normalizeLsn(row.confirmed_flush_lsn),
      invalidationReason: row.invalidation_reason,
      conflicting: row.conflicting,
      retainedWalBytes: numberOrNull(row.retained),
      unconsumedBytes: numberOrNull(row.unconsumed),
    },
  };
}

/** A slot a read can use: still there, never invalidated, and the logical pgoutput slot of this database. */
export interface UsableSlot extends SlotState {
  restartLsn: Lsn;
  confirmedFlushLsn: Lsn;
}

export function usableSlot(
  state: SlotState | null,
  position: ServerPosition,
  names: ReplicationNames,
): UsableSlot {
  if (!state)
    return lost(names.slot, 'no longer exists (dropped, or not carried over by a failover)');
  if (state.walStatus === 'lost' || state.invalidationReason || state.conflicting) {
    const reason =
      state.invalidationReason ?? (state.conflicting ? 'conflict on a standby' : 'wal_removed');
    const detail =
      reason === 'wal_removed'
        ? 'wal_removed: the server removed WAL the slot still needed, as max_slot_wal_keep_size allows'
        : reason;
    return lost(names.slot, `was invalidated by the server (${detail})`);
  }
  if (
    state.slotType !== 'logical' ||
    state.plugin !== 'pgoutput' ||
    state.database !== position.currentDatabase
  ) {
    throw syncError(
      'SYNC_SLOT_MISMATCH',
      `replication slot ${names.slot} is a ${[state.slotType, state.plugin].filter(Boolean).join(' ')} slot of database ${state.database ?? '(none)'}, not this sync's pgoutput slot in ${position.currentDatabase}: point the sync at the database the slot was made in, or use another sync name`,
      409,
    );
  }
  if (state.restartLsn === null || state.confirmedFlushLsn === null) {
    return lost(names.slot, 'holds no WAL position (invalidated)');
  }
  return state as UsableSlot;
}

function lost(slot: string, why: string): never {
  throw slotLost(slot, why);
}

function numberOrNull(text: string | null): number | null {
  return text === null ? null : Number(text);
}
