/** Continuous sync's source side: the port, its PostgreSQL adapter, and the helpers around them. */
export type * from './change-stream';
export { SYNC_ERROR_CODES, type SyncErrorCode } from './errors';
export {
  listLeftovers,
  type LeftoverPublication,
  type LeftoverSlot,
  type Leftovers,
} from './leftovers';
export { compareLsn, formatLsn, maxLsn, normalizeLsn, parseLsn, type Lsn } from './lsn';
export {
  PUBLICATION_PREFIX,
  SLOT_PREFIX,
  assertOwnNames,
  replicationNames,
  type ReplicationNames,
} from './names';
export { PostgresChangeStream } from './postgres-change-stream';
