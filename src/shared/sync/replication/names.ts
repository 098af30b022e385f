import { syncError } from './errors';

/**
 * Every slot and publication this tool makes starts with these, so a leftover is recognisable
 * (and listable) on a shared server, and tear-down can refuse to touch anything else.
 */
export const SLOT_PREFIX = 'cosmos_migration_slot_';
export const PUBLICATION_PREFIX = 'cosmos_migration_pub_';

/** PostgreSQL's NAMEDATALEN - 1: a longer slot name is rejected, a longer identifier truncated. */
const MAX_NAME_BYTES = 63;
const MAX_SUFFIX = MAX_NAME_BYTES - SLOT_PREFIX.length;
/** What slot names allow (lower-case letters, digits, underscore), so one suffix fits both. */
const SUFFIX_PATTERN = new RegExp(`^[a-z0-9_]{1,${MAX_SUFFIX}}$`);

export interface ReplicationNames {
  slot: string;
  publication: string;
}

/** The slot and publication of one sync, e.g. `replicationNames('prod')`. */
export function replicationNames(suffix: string): ReplicationNames {
  if (!SUFFIX_PATTERN.test(suffix)) {
    throw syncError(
      'SYNC_INVALID_NAME',
      `sync name "${suffix}": use 1 to ${MAX_SUFFIX} lower-case letters, digits or underscores`,
      400,
    );
  }
  return { slot: SLOT_PREFIX + suffix, publication: PUBLICATION_PREFIX + suffix };
}

/** Names handed in from elsewhere (configuration, a stored run) must still be this tool's. */
export function assertOwnNames(names: ReplicationNames): ReplicationNames {
  const suffix = names.slot.slice(SLOT_PREFIX.length);
  const expected = names.slot.startsWith(SLOT_PREFIX) ? replicationNames(suffix) : undefined;
  if (!expected || expected.publication !== names.publication) {
    throw syncError(
      'SYNC_INVALID_NAME',
      `slot "${names.slot}" and publication "${names.publication}" are not a pair this tool made (${SLOT_PREFIX}<name>, ${PUBLICATION_PREFIX}<name>)`,
      400,
    );
  }
  return expected;
}
