import type { IndexingPolicy } from '@azure/cosmos';
import { EntityModule } from '../entities/entity';
import { SourceRow } from '../entities/registry';
import { KeyRange } from '../postgres/source-reader';
import { ThroughputMode } from '../cosmos/target';
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
}

export interface ContainerInfo {
  partitionKeyPaths: string[];
  partitionKeyVersion: number;
  indexingPolicy: IndexingPolicy | undefined;
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
}

export interface PreflightDeps {
  source: SourceInspector;
  target: TargetInspector;
  probes: ReachabilityProbe[];
  settings: PreflightSettings;
}
