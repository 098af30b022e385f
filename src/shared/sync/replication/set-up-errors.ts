import { AppError, errorMessage } from '../../errors/app-error';
import { describePostgresError } from '../../postgres/errors';
import { syncError } from './errors';
import { sqlState } from './slot-errors';

/** Who is setting up, for messages that name the role to fix. */
export interface SetUpContext {
  role: string;
  database: string;
  slot: string;
  publication: string;
  timeoutMs: number;
}

export function walLevelError(walLevel: string): AppError {
  return syncError(
    'SYNC_WAL_LEVEL',
    `wal_level is ${walLevel}: continuous sync needs wal_level=logical (Azure Database for PostgreSQL: server parameter wal_level=logical; Amazon RDS: rds.logical_replication=1 in the parameter group), then a server restart`,
    409,
  );
}

export function noFreeSlotError(max?: number, cause?: unknown): AppError {
  const count = max === undefined ? '' : `${max} `;
  return syncError(
    'SYNC_NO_FREE_SLOT',
    max === 0
      ? 'max_replication_slots is 0: raise it (server restart) to give the sync a replication slot'
      : `all ${count}replication slots (max_replication_slots) are in use: drop leftovers (preflight lists this tool's), or raise max_replication_slots (server restart)`,
    409,
    cause,
  );
}

export function slotExistsError(slot: string): AppError {
  return syncError(
    'SYNC_SLOT_EXISTS',
    `replication slot ${slot} already exists: a sync with this name is set up already; tear it down first (then run the full load again), or use another sync name`,
    409,
  );
}

export function replicationPrivilegeError(context: SetUpContext, cause?: unknown): AppError {
  return syncError(
    'SYNC_REPLICATION_PRIVILEGE',
    `role ${context.role} may not create replication slots: run ALTER ROLE ${context.role} WITH REPLICATION (Azure Database for PostgreSQL: as a member of azure_pg_admin; Amazon RDS: GRANT rds_replication TO ${context.role})`,
    403,
    cause,
  );
}

export function publicationPrivilegeError(context: SetUpContext, cause: unknown): AppError {
  return syncError(
    'SYNC_PUBLICATION_PRIVILEGE',
    `role ${context.role} cannot create publication ${context.publication} (${errorMessage(cause)}): it needs CREATE on database ${context.database} and to own users, posts, comments and votes; set up the sync as the tables' owner, or grant those`,
    403,
    cause,
  );
}

export function setUpTimeoutError(context: SetUpContext, cause: unknown): AppError {
  return syncError(
    'SYNC_SETUP_TIMEOUT',
    `creating replication slot ${context.slot} waited ${Math.round(context.timeoutMs / 1000)} s for transactions that were already running to end (a slot starts only after them): find them with SELECT pid, xact_start, state, query FROM pg_stat_activity WHERE backend_xid IS NOT NULL ORDER BY xact_start (and SELECT * FROM pg_prepared_xacts), let them finish or end them, then set up again`,
    503,
    cause,
  );
}

/** A failed pg_create_logical_replication_slot, by SQLSTATE. */
export function describeSlotCreationError(error: unknown, context: SetUpContext): AppError {
  switch (sqlState(error)) {
    case '42501': // insufficient_privilege
      return replicationPrivilegeError(context, error);
    case '42710': // duplicate_object
      return slotExistsError(context.slot);
    case '53400': // configuration_limit_exceeded: all slots in use
      return noFreeSlotError(undefined, error);
    case '57014': // query_canceled: statement_timeout
    case '55P03': // lock_not_available: lock_timeout while waiting on a running transaction
      return setUpTimeoutError(context, error);
    default:
      return describePostgresError(error);
  }
}
