import type { IndexingPolicy } from '@azure/cosmos';
import { EntityModule } from '../entities/entity';
import { SourceRow } from '../entities/registry';
import { KeyRange } from '../postgres/source-reader';
import { ThroughputMode } from '../cosmos/target';
import type { Leftovers } from '../sync/replication';
import { Verdict } from './report';

export interface SourceServer {
  /** e.g. `17.6` */
  version: string;
  /** e.g. 170006 */
  versionNum: number;
  walLevel: string;
  database: string;
  user: string;
}

/** Affected rows of one data-quality query: the count over the whole table and a few ids. */
export interface RowSet {
  count: number;
  examples: string[];
}

/** The server settings continuous sync depends on. */
export interface ReplicationServer {
  maxReplicationSlots: number;
  /** Slots of the whole server (every database, every tool), each taking one of the maximum. */
  slotsInUse: number;
  /** max_slot_wal_keep_size as the server shows it (`-1`, `10GB`); null before PostgreSQL 13. */
  maxSlotWalKeepSize: string | null;
}

/** What the connected role may do towards creating the sync's slot and publication. */
export interface ReplicationRole {
  role: string;
  database: string;
  superuser: boolean;
  /** The REPLICATION attribute. */
  replication: boolean;
  /** Member of rds_replication (Amazon RDS); null when the server has no such role. */
  rdsReplication: boolean | null;
  /** CREATE on the connected database (CREATE PUBLICATION needs it). */
  createOnDatabase: boolean;
  /** Of the tables asked about that exist, those the role does not own (nor inherits the owner of). */
  notOwned: { table: string; owner: string }[];
}

/** A transaction open longer than asked: a session's, or a prepared one (two-phase commit). */
export interface OpenTransaction {
  /** The backend's pid; null for a prepared transaction. */
  pid: number | null;
  /** The prepared transaction's gid; null for a session's. */
  gid: string | null;
  database: string | null;
  user: string | null;
  /** pg_stat_activity.state (`idle in transaction`, `active`); null for a prepared transaction. */
  state: string | null;
  ageSeconds: number;
  /** Holds a transaction id (backend_xid; always for a prepared one): creating a slot waits for it. */
  holdsXid: boolean;
}

export interface OpenTransactions {
  transactions: OpenTransaction[];
  /** False when other roles' sessions show no transaction start (no pg_read_all_stats). */
  seesAllSessions: boolean;
}

/** What preflight asks of the source database. */
export interface SourceInspector {
  /** Fails with a one-line `AppError` (SOURCE_UNREACHABLE, ...) when the server cannot be used. */
  server(): Promise<SourceServer>;
  /** table -> column -> type (`format_type`), for the tables that exist. */
  columns(tables: readonly string[]): Promise<Map<string, Map<string, string>>>;
  count(table: string): Promise<number>;
  /** `table.column` for each column that is the first key of an index on these tables. */
  indexedColumns(tables: readonly string[]): Promise<Set<string>>;
  /** `sql` selects the `id` of the affected rows; counted in one set-based query. */
  rows(sql: string, examples: number): Promise<RowSet>;
  /** Ids at every `every`-th row in key order (the planner's boundaries). */
  boundaries(table: string, every: number): Promise<string[]>;
  /** The id `rows` rows after `from` (or the table's last id when fewer follow). */
  rangeEnd(table: string, from: string | null, rows: number): Promise<string | null>;
  /** The migration's own extraction of a keyset range. */
  readBatch(entity: EntityModule<SourceRow>, range: KeyRange): Promise<SourceRow[]>;
  /** Continuous sync: slot settings of the server. */
  replicationServer(): Promise<ReplicationServer>;
  /** Continuous sync: the privileges its set-up needs, for these tables. */
  replicationRole(tables: readonly string[]): Promise<ReplicationRole>;
  /**
   * Continuous sync: why its set-up would refuse the four tables (replica identity, primary
   * key, columns: the set-up's own inspection), or null when it would accept them.
   */
  syncTableProblems(): Promise<string | null>;
  /** Continuous sync: every slot (server-wide) and publication (this database) of this tool. */
  leftovers(): Promise<Leftovers>;
  /** Transactions, of any database on the server, open for longer than `seconds`. */
  openTransactions(seconds: number): Promise<OpenTransactions>;
}

export interface ContainerInfo {
  partitionKeyPaths: string[];
  partitionKeyVersion: number;
  indexingPolicy: IndexingPolicy | undefined;
  /** Undefined: TTL off, so a document's own `ttl` is ignored. */
  defaultTtl: number | undefined;
}

/** What preflight asks of the target Cosmos account. */
export interface TargetInspector {
  /** Fails with a one-line `AppError` (TARGET_UNREACHABLE, TARGET_AUTH_FAILED, ...). */
  account(): Promise<{ endpoint: string }>;
  databaseExists(): Promise<boolean>;
  /** `undefined` when the container does not exist. */
  container(name: string): Promise<ContainerInfo | undefined>;
}

export interface ProbeResult {
  verdict: Verdict;
  reason: string;
}

/** A service the function app depends on (Service Bus, App Configuration): can it be reached? */
export interface ReachabilityProbe {
  readonly id: string;
  readonly title: string;
  /** Throwing is a `fail` with the error's first line; `signal` aborts on the preflight's timeout. */
  check(signal: AbortSignal): Promise<ProbeResult>;
}

export interface PreflightSettings {
  database: string;
  throughputMode: ThroughputMode;
  /** MIGRATION_RU_BUDGET; 0 = no cap. */
  ruBudgetPerSecond: number;
  /** SYNC_NAME: the sync's slot and publication are named after it. */
  syncName: string;
}

export interface PreflightDeps {
  source: SourceInspector;
  target: TargetInspector;
  probes: ReachabilityProbe[];
  settings: PreflightSettings;
}
