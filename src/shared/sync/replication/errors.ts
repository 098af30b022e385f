import { AppError } from '../../errors/app-error';

/**
 * The ways continuous sync stops. Each is an AppError with a stable code and one line saying
 * what is wrong and what to do; none is retried by the round, except SYNC_SLOT_BUSY and
 * SYNC_SETUP_TIMEOUT, which are about timing.
 */
export const SYNC_ERROR_CODES = [
  'SYNC_SLOT_LOST',
  'SYNC_TRUNCATE',
  'SYNC_SCHEMA_CHANGED',
  'SYNC_PUBLICATION_MISSING',
  'SYNC_SLOT_BUSY',
  'SYNC_DECODE_FAILED',
  'SYNC_WAL_LEVEL',
  'SYNC_REPLICATION_PRIVILEGE',
  'SYNC_PUBLICATION_PRIVILEGE',
  'SYNC_NO_FREE_SLOT',
  'SYNC_SETUP_TIMEOUT',
  'SYNC_SLOT_EXISTS',
  'SYNC_SLOT_MISMATCH',
  'SYNC_PUBLICATION_MISMATCH',
  'SYNC_SCHEMA_MISMATCH',
  'SYNC_TERMINATE_DENIED',
  'SYNC_INVALID_NAME',
  'SYNC_INVALID_LSN',
  'SYNC_INVALID_ARGUMENT',
] as const;
export type SyncErrorCode = (typeof SYNC_ERROR_CODES)[number];

/** Every sync error is made here, so the list above stays the whole list. */
export const syncError = (code: SyncErrorCode, message: string, status = 409, cause?: unknown) =>
  new AppError(code, message, status, cause === undefined ? undefined : { cause });

/**
 * What an operator runs after the sync has missed changes. A new slot first, so nothing made
 * from then on is missed too; then validation and repair mend what was missed before it.
 */
const REBUILD =
  'tear the sync down and set it up again, then run cosmos-migration validate --full and cosmos-migration repair <validationId> --delete-extras';

/** The slot is gone or invalidated: changes after its last position are no longer available. */
export function slotLost(slot: string, why: string): AppError {
  return syncError(
    'SYNC_SLOT_LOST',
    `replication slot ${slot} ${why}: changes made since the last round may have been lost; ${REBUILD}`,
  );
}

/** A TRUNCATE removes rows without row changes, so nothing the round applies can follow it. */
export function truncated(tables: readonly string[], commitLsn: string): AppError {
  const list = tables.join(', ');
  return syncError(
    'SYNC_TRUNCATE',
    `TRUNCATE of ${list} (transaction committed at ${commitLsn}): the sync cannot apply it as row changes and has stopped; tear the sync down and set it up again, reload ${list} with cosmos-migration migrate --entities ${tables.join(',')}, then cosmos-migration validate --full and repair <validationId> --delete-extras`,
  );
}

/** The table's columns no longer match the data model the transform is written for. */
export function schemaChanged(table: string, difference: string): AppError {
  return syncError(
    'SYNC_SCHEMA_CHANGED',
    `the schema of ${table} changed (${difference}); the sync has stopped: update the migration for the new schema (docs/data-model.md), then tear the sync down and set it up again, reload ${table} with cosmos-migration migrate --entities ${table}, then cosmos-migration validate --full`,
  );
}

/** The publication was dropped: pgoutput cannot decode, and re-creating it does not help old WAL. */
export function publicationMissing(publication: string): AppError {
  return syncError(
    'SYNC_PUBLICATION_MISSING',
    `publication ${publication} no longer exists, so the slot's changes cannot be decoded; ${REBUILD}`,
  );
}

/** Another session holds the slot (a round still running, or one whose process died mid-read). */
export function slotBusy(slot: string, pid: number | null): AppError {
  return syncError(
    'SYNC_SLOT_BUSY',
    `replication slot ${slot} is in use by another session${pid ? ` (pid ${pid})` : ''}: wait for its round to finish, or check for a second sync on this slot`,
    503,
  );
}

export function decodeFailed(detail: string, cause?: unknown): AppError {
  return syncError(
    'SYNC_DECODE_FAILED',
    `could not decode the replication stream: ${detail}`,
    500,
    cause,
  );
}

export function invalidArgument(message: string): AppError {
  return syncError('SYNC_INVALID_ARGUMENT', message, 400);
}
