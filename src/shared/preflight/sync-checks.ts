import { ENTITY_NAMES, type EntityName } from '../entities/entity';
import { AppError } from '../errors/app-error';
import {
  PUBLICATION_PREFIX,
  replicationNames,
  SLOT_PREFIX,
  type LeftoverSlot,
  type Leftovers,
  type ReplicationNames,
} from '../sync/replication';
import { publicationMissing, slotLost } from '../sync/replication/errors';
import {
  noFreeSlotError,
  replicationPrivilegeError,
  walLevelError,
} from '../sync/replication/set-up-errors';
import {
  OpenTransaction,
  OpenTransactions,
  ReplicationRole,
  ReplicationServer,
  SourceInspector,
  SourceServer,
} from './ports';
import { duration } from './render';
import { Check, check } from './report';
import { firstLine } from './source-checks';
import { formatBytes } from '../reports/bytes';

/** Transactions open longer than this are reported: creating the slot would wait for them. */
export const LONG_TRANSACTION_SECONDS = 300;

/** At most this many slots or transactions are named in one line; the rest are counted. */
const LISTED = 5;

export interface SyncCheckOptions {
  /** Default LONG_TRANSACTION_SECONDS. */
  longTransactionSeconds?: number;
  /** Source tables known not to exist (the schema check's); set-up refuses to start without them. */
  missingTables?: readonly EntityName[];
}

export interface SyncChecks {
  checks: Check[];
  notRun: string[];
}

/**
 * What continuous sync needs of the source, and what would hurt it, read-only: `migrate` sets
 * the sync up before it plans the full load (publication, then slot) and stops when it cannot,
 * so what set-up would refuse fails here. The verdicts reuse the set-up's own inspection of the
 * tables and its error messages, so preflight says what `migrate` would say.
 */
export async function checkSync(
  source: SourceInspector,
  server: SourceServer,
  syncName: string,
  options: SyncCheckOptions = {},
): Promise<SyncChecks> {
  const result: SyncChecks = { checks: [walLevelCheck(server.walLevel)], notRun: [] };
  let names: ReplicationNames;
  try {
    names = replicationNames(syncName);
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    result.checks.push(check('sync.name', 'sync name', 'fail', firstLine(error)));
    result.notRun.push('continuous sync checks: the sync name is invalid');
    return result;
  }
  const ask = async <T>(what: string, question: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await question();
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      result.notRun.push(`${what}: ${firstLine(error)}`);
      return undefined;
    }
  };
  const seconds = options.longTransactionSeconds ?? LONG_TRANSACTION_SECONDS;
  const leftovers = await ask("sync: this sync's and other syncs' slots and publications", () =>
    source.leftovers(),
  );
  const replication = await ask('sync: free replication slot and max_slot_wal_keep_size', () =>
    source.replicationServer(),
  );
  const role = await ask('sync: replication and publication privileges', () =>
    source.replicationRole(ENTITY_NAMES),
  );
  // The set-up's inspection of the tables cannot be asked about a table that does not exist.
  const missing = options.missingTables ?? [];
  const tables =
    missing.length > 0
      ? `${missing.map((t) => `table ${t} not found`).join(', ')}: set-up refuses to start without the four tables (see tables and columns)`
      : await ask('sync: replica identity and columns of the tables', () =>
          source.syncTableProblems(),
        );
  const open = await ask('sync: long-running transactions', () => source.openTransactions(seconds));

  const ownSlot = leftovers?.slots.find((s) => s.slot === names.slot);
  /** This sync is set up in this database: set-up creates nothing, `migrate` keeps the slot. */
  const setUp = ownSlot !== undefined && ownSlot.database === server.database;
  const ownPublication = leftovers?.publications.some((p) => p.publication === names.publication);

  if (replication && leftovers) result.checks.push(slotsCheck(replication, names, setUp));
  if (role) {
    result.checks.push(replicationPrivilegeCheck(role, names));
    result.checks.push(publicationPrivilegeCheck(role, names, ownPublication === true));
  }
  if (tables !== undefined) result.checks.push(tablesCheck(tables));
  if (leftovers) {
    result.checks.push(ownSyncCheck(leftovers, names, syncName, server.database));
    result.checks.push(leftoversCheck(leftovers, names, server.database));
  }
  if (open) result.checks.push(openTransactionsCheck(open, names, seconds, setUp, server.database));
  if (replication) result.checks.push(walKeepSizeCheck(replication.maxSlotWalKeepSize));
  return result;
}

export function walLevelCheck(walLevel: string): Check {
  const title = 'wal_level';
  if (walLevel === 'logical')
    return check('sync.walLevel', title, 'pass', 'logical: continuous sync can decode changes');
  return check(
    'sync.walLevel',
    title,
    'fail',
    `${walLevelError(walLevel).message}; migrate sets up continuous sync by default and stops without it, migrate --no-sync makes a one-shot copy`,
  );
}

function slotsCheck(server: ReplicationServer, names: ReplicationNames, setUp: boolean): Check {
  const id = 'sync.slots';
  const title = 'free replication slot';
  const { maxReplicationSlots: max, slotsInUse: used } = server;
  const inUse = `${used} of ${max} (max_replication_slots) in use`;
  if (setUp)
    return check(id, title, 'pass', `${inUse}, one of them this sync's ${names.slot}: none needed`);
  if (used >= max) return check(id, title, 'fail', `${noFreeSlotError(max).message} (${inUse})`);
  // Rounds peek and advance through SQL functions, not the streaming protocol: no WAL sender.
  return check(
    id,
    title,
    'pass',
    `${inUse}, ${max - used} free for ${names.slot} (the sync reads through SQL, so max_wal_senders does not matter)`,
  );
}

function replicationPrivilegeCheck(role: ReplicationRole, names: ReplicationNames): Check {
  const id = 'sync.replicationPrivilege';
  const title = 'replication privilege';
  if (role.superuser) return check(id, title, 'pass', `role ${role.role} is a superuser`);
  if (role.replication)
    return check(id, title, 'pass', `role ${role.role} has the REPLICATION attribute`);
  if (role.rdsReplication)
    return check(
      id,
      title,
      'pass',
      `role ${role.role} is a member of rds_replication (Amazon RDS)`,
    );
  const context = { ...names, role: role.role, database: role.database, timeoutMs: 0 };
  return check(id, title, 'fail', replicationPrivilegeError(context).message);
}

function publicationPrivilegeCheck(
  role: ReplicationRole,
  names: ReplicationNames,
  exists: boolean,
): Check {
  const id = 'sync.publicationPrivilege';
  const title = 'publication privilege';
  // Set-up accepts an existing publication that publishes exactly the four tables.
  if (exists)
    return check(id, title, 'pass', `publication ${names.publication} exists: set-up reuses it`);
  if (role.superuser)
    return check(
      id,
      title,
      'pass',
      `role ${role.role} is a superuser: may create publication ${names.publication}`,
    );
  const problems = [
    ...(role.createOnDatabase
      ? []
      : [
          `it has no CREATE on database ${role.database} (GRANT CREATE ON DATABASE ${role.database} TO ${role.role})`,
        ]),
    ...(role.notOwned.length > 0
      ? [
          `it does not own ${role.notOwned.map((t) => `${t.table} (owner ${t.owner})`).join(', ')} (set up the sync as the owner, or GRANT ${[...new Set(role.notOwned.map((t) => t.owner))].join(', ')} TO ${role.role})`,
        ]
      : []),
  ];
  if (problems.length === 0)
    return check(
      id,
      title,
      'pass',
      `role ${role.role} owns ${ENTITY_NAMES.join(', ')} and has CREATE on database ${role.database}`,
    );
  return check(
    id,
    title,
    'fail',
    `role ${role.role} cannot create publication ${names.publication}: ${problems.join('; ')}`,
  );
}

function tablesCheck(problem: string | null): Check {
  const id = 'sync.tables';
  const title = 'tables for sync';
  if (problem) return check(id, title, 'fail', problem);
  return check(
    id,
    title,
    'pass',
    `${ENTITY_NAMES.join(', ')}: exactly the data model's columns, and deletes carry the id (replica identity DEFAULT with primary key (id), or FULL)`,
  );
}

function ownSyncCheck(
  leftovers: Leftovers,
  names: ReplicationNames,
  syncName: string,
  database: string,
): Check {
  const id = 'sync.slot';
  const title = "this sync's slot";
  const slot = leftovers.slots.find((s) => s.slot === names.slot);
  const publication = leftovers.publications.some((p) => p.publication === names.publication);
  if (!slot) {
    return check(
      id,
      title,
      'pass',
      publication
        ? `publication ${names.publication} exists without its slot (a set-up that stopped after it): migrate reuses it and creates slot ${names.slot}`
        : `not set up yet: migrate creates publication ${names.publication}, then slot ${names.slot}`,
    );
  }
  // Slots are per server: the same name from another database is that database's sync.
  if (slot.database !== database)
    return check(
      id,
      title,
      'fail',
      `replication slot ${describeSlot(slot)} belongs to a sync of another database with the same SYNC_NAME ${syncName}: set-up here would stop with SYNC_SLOT_EXISTS; give this target another SYNC_NAME`,
    );
  if (slot.walStatus === 'lost' || slot.retainedWalBytes === null)
    return check(
      id,
      title,
      'fail',
      slotLost(names.slot, 'is invalidated (wal_status lost, max_slot_wal_keep_size exceeded)')
        .message,
    );
  if (!publication) return check(id, title, 'fail', publicationMissing(names.publication).message);
  if (slot.walStatus === 'unreserved')
    return check(
      id,
      title,
      'warn',
      `${describeSlot(slot)} retains more than max_slot_wal_keep_size: it is invalidated at a coming checkpoint unless the sync catches up (cosmos-migration sync)`,
    );
  return check(
    id,
    title,
    'pass',
    `set up: ${describeSlot(slot)}, publication ${names.publication}; migrate keeps following with it (cosmos-migration sync status shows its lag)`,
  );
}

function leftoversCheck(leftovers: Leftovers, names: ReplicationNames, database: string): Check {
  const id = 'sync.leftovers';
  const title = "other syncs' slots";
  const slots = leftovers.slots
    .filter((s) => s.slot !== names.slot)
    // This database's first (they can be dropped from here), then the most WAL first.
    .sort(
      (a, b) =>
        Number(b.database === database) - Number(a.database === database) ||
        (b.retainedWalBytes ?? 0) - (a.retainedWalBytes ?? 0),
    );
  const publications = leftovers.publications
    .map((p) => p.publication)
    .filter((p) => p !== names.publication);
  if (slots.length === 0 && publications.length === 0)
    return check(
      id,
      title,
      'pass',
      `none: no other ${SLOT_PREFIX}* slot on the server, no other ${PUBLICATION_PREFIX}* publication in this database`,
    );
  // One entry per other sync: its slot, and its publication when it is in this database.
  const suffixes = [
    ...new Set([
      ...slots.map((s) => s.slot.slice(SLOT_PREFIX.length)),
      ...publications.map((p) => p.slice(PUBLICATION_PREFIX.length)),
    ]),
  ];
  const entries = suffixes.map((suffix) => {
    const slot = slots.find((s) => s.slot === SLOT_PREFIX + suffix);
    const publication = publications.includes(PUBLICATION_PREFIX + suffix)
      ? `publication ${PUBLICATION_PREFIX}${suffix}`
      : '';
    return slot
      ? `slot ${describeSlot(slot)}${publication ? ` and ${publication}` : ''}`
      : `${publication} (no slot)`;
  });
  const first = suffixes[0]!;
  // Slots share the server's WAL: the one furthest behind decides what stays on disk.
  const oldest = Math.max(...slots.map((s) => s.retainedWalBytes ?? 0));
  const drop = [
    ...(slots.some((s) => s.slot === SLOT_PREFIX + first)
      ? [`SELECT pg_drop_replication_slot('${SLOT_PREFIX}${first}')`]
      : []),
    `DROP PUBLICATION IF EXISTS ${PUBLICATION_PREFIX}${first}`,
  ].join('; ');
  return check(
    id,
    title,
    'warn',
    `${listed(entries)}${slots.length > 1 ? ` (the oldest keeps ${formatBytes(oldest)} of WAL)` : ''}: a slot keeps WAL on the source's disk until it is dropped, and takes one of max_replication_slots; drop a sync you no longer need with cosmos-migration sync stop run with its own settings (SYNC_NAME=${first}, and the DATABASE_URL and COSMOS_DATABASE it was set up with), or by hand: ${drop} (the publication in the slot's database)`,
  );
}

function openTransactionsCheck(
  open: OpenTransactions,
  names: ReplicationNames,
  seconds: number,
  setUp: boolean,
  database: string,
): Check {
  const id = 'sync.openTransactions';
  const title = 'long-running transactions';
  // This database's first, then the oldest first (as asked).
  const transactions = [...open.transactions].sort(
    (a, b) => Number(b.database === database) - Number(a.database === database),
  );
  const over = `over ${seconds >= 60 ? `${Math.round(seconds / 60)} min` : `${seconds} s`}`;
  const blocking = transactions.filter((t) => t.holdsXid);
  const snapshots = transactions.filter((t) => !t.holdsXid);
  const notes = [
    ...(snapshots.length > 0
      ? [
          `${snapshots.length} snapshot${snapshots.length === 1 ? '' : 's'} open ${over} without a transaction id (${snapshots
            .slice(0, LISTED)
            .map((t) => `pid ${t.pid}`)
            .join(', ')}) do not hold the slot up`,
        ]
      : []),
    ...(open.seesAllSessions
      ? []
      : ["other roles' transactions are not visible to this role (pg_read_all_stats shows them)"]),
  ];
  const note = notes.length > 0 ? `; ${notes.join('; ')}` : '';
  if (blocking.length === 0)
    return check(
      id,
      title,
      'pass',
      `none open ${over} that creating the slot would wait for${note}`,
    );
  const list = listed(blocking.map(describeTransaction));
  if (setUp)
    return check(
      id,
      title,
      'pass',
      `${list}: this sync's slot exists already, so no set-up waits for them${note}`,
    );
  const prepared = blocking.find((t) => t.gid !== null);
  const session = blocking.find((t) => t.pid !== null);
  const end = [
    ...(session ? [`SELECT pg_terminate_backend(${session.pid})`] : []),
    ...(prepared ? [`COMMIT PREPARED or ROLLBACK PREPARED '${prepared.gid}'`] : []),
  ].join('; ');
  return check(
    id,
    title,
    'warn',
    `${list}: creating slot ${names.slot} waits until every transaction already running has ended, and set-up gives up with SYNC_SETUP_TIMEOUT; before migrate, let them finish or end them (${end})${note}`,
  );
}

export function walKeepSizeCheck(size: string | null): Check {
  const id = 'sync.walKeepSize';
  const title = 'max_slot_wal_keep_size';
  const watch =
    'watch its retained WAL (cosmos-migration sync status) and stop a sync you abandon (cosmos-migration sync stop)';
  if (size === null)
    return check(
      id,
      title,
      'pass',
      `not before PostgreSQL 13: a slot whose sync stalls keeps WAL until the source's disk fills; ${watch}`,
    );
  if (size === '-1')
    return check(
      id,
      title,
      'pass',
      `unlimited (-1): a slot whose sync stalls keeps WAL until the source's disk fills; ${watch}`,
    );
  return check(
    id,
    title,
    'pass',
    `${size}: a slot retaining more WAL than this is invalidated, and the sync then stops with SYNC_SLOT_LOST (tear down, migrate again, validate --full, repair); the slot holds WAL from set-up until the full load is done and the sync has caught up, so the limit must cover what the source writes meanwhile`,
  );
}

function describeTransaction(t: OpenTransaction): string {
  const age = duration(t.ageSeconds);
  if (t.gid !== null)
    return `prepared transaction '${t.gid}' (database ${t.database ?? '?'}, ${age})`;
  const where = [
    `database ${t.database ?? '?'}`,
    ...(t.user ? [`user ${t.user}`] : []),
    ...(t.state ? [t.state] : []),
    age,
  ];
  return `pid ${t.pid} (${where.join(', ')})`;
}

function listed(entries: string[]): string {
  const more = entries.length - LISTED;
  return `${entries.slice(0, LISTED).join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
}

export function describeSlot(slot: LeftoverSlot): string {
  const state = slot.active ? `active, pid ${slot.activePid}` : 'inactive';
  const wal =
    slot.retainedWalBytes === null
      ? 'invalidated'
      : `${formatBytes(slot.retainedWalBytes)} WAL retained`;
  return `${slot.slot} (database ${slot.database ?? '?'}, ${state}, ${wal})`;
}
