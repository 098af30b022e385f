import { ENTITY_NAMES, EntityName } from '../entities/entity';
import { errorMessage } from '../errors/app-error';
import { compareSchema, expectedColumnCount } from './expected-schema';
import { SourceInspector, SourceServer } from './ports';
import { Check, check } from './report';

/** MATERIALIZED CTEs (batch extraction) and SQL/JSON paths (data quality) need PostgreSQL 12+. */
export const MIN_VERSION_NUM = 120000;

export interface ServerChecks {
  checks: Check[];
  /** Undefined when the server could not be reached. */
  server?: SourceServer;
}

export async function checkServer(source: SourceInspector): Promise<ServerChecks> {
  let server: SourceServer;
  try {
    server = await source.server();
  } catch (error) {
    return {
      checks: [check('source.reachable', 'PostgreSQL reachable', 'fail', firstLine(error))],
    };
  }
  const checks = [
    check(
      'source.reachable',
      'PostgreSQL reachable',
      'pass',
      `connected to database ${server.database} as ${server.user}`,
    ),
    server.versionNum >= MIN_VERSION_NUM
      ? check('source.version', 'PostgreSQL version', 'pass', `PostgreSQL ${server.version}`)
      : check(
          'source.version',
          'PostgreSQL version',
          'fail',
          `PostgreSQL ${server.version}: the batch extraction and the data-quality checks need 12 or later`,
        ),
    // wal_level is continuous sync's question: sync-checks.ts.
  ];
  return { checks, server };
}

export interface SchemaCheck {
  check: Check;
  /** Tables that exist: row counts query them. */
  presentTables: EntityName[];
  /** Tables with every expected column: findings and the sample query them. */
  completeTables: EntityName[];
  /** Tables that do not exist; undefined when the columns could not be read. */
  missingTables?: EntityName[];
}

export async function checkSchema(source: SourceInspector): Promise<SchemaCheck> {
  const title = 'tables and columns';
  let actual: Map<string, Map<string, string>>;
  try {
    actual = await source.columns(ENTITY_NAMES);
  } catch (error) {
    return {
      check: check('source.schema', title, 'fail', firstLine(error)),
      presentTables: [],
      completeTables: [],
    };
  }
  const diff = compareSchema(actual);
  const incomplete = new Set([
    ...diff.missingTables,
    ...diff.missingColumns.map((name) => name.split('.')[0]!),
  ]);
  const completeTables = ENTITY_NAMES.filter((table) => !incomplete.has(table));
  const presentTables = ENTITY_NAMES.filter((table) => actual.has(table));
  const missingTables = ENTITY_NAMES.filter((table) => !actual.has(table));
  const missing = [
    ...diff.missingTables.map((table) => `table ${table}`),
    ...diff.missingColumns.map((column) => `column ${column}`),
  ];
  if (missing.length > 0) {
    return {
      check: check('source.schema', title, 'fail', `missing ${missing.join(', ')}`),
      presentTables,
      completeTables,
      missingTables,
    };
  }
  if (diff.otherTypes.length > 0) {
    return {
      check: check('source.schema', title, 'warn', `other types: ${diff.otherTypes.join('; ')}`),
      presentTables,
      completeTables,
      missingTables,
    };
  }
  return {
    check: check(
      'source.schema',
      title,
      'pass',
      `${ENTITY_NAMES.join(', ')}: all ${expectedColumnCount()} columns present`,
    ),
    presentTables,
    completeTables,
    missingTables,
  };
}

/**
 * Each posts or comments batch looks rows up by these columns (comment and vote counts,
 * replies). The source schema declares no index on them; without one, every batch reads the whole
 * table, and the load's time grows with batches x table size.
 */
const LOOKUP_COLUMNS: readonly (readonly [EntityName, string])[] = [
  ['comments', 'post_id'],
  ['comments', 'parent_id'],
  ['votes', 'target_id'],
];

export async function checkLookupIndexes(
  source: SourceInspector,
  presentTables: readonly EntityName[],
): Promise<Check | undefined> {
  const id = 'source.lookupIndexes';
  const title = 'indexes behind the per-batch lookups';
  const wanted = LOOKUP_COLUMNS.filter(([table]) => presentTables.includes(table));
  if (wanted.length === 0) return undefined;
  let indexed: Set<string>;
  try {
    indexed = await source.indexedColumns([...new Set(wanted.map(([table]) => table))]);
  } catch (error) {
    return check(id, title, 'warn', `could not read the indexes: ${firstLine(error)}`);
  }
  const names = (columns: typeof wanted) => columns.map(([t, c]) => `${t}.${c}`).join(', ');
  const missing = wanted.filter(([table, column]) => !indexed.has(`${table}.${column}`));
  if (missing.length === 0) return check(id, title, 'pass', `${names(wanted)} indexed`);
  const create = missing.map(([t, c]) => `CREATE INDEX CONCURRENTLY ON ${t} (${c})`).join('; ');
  return check(
    id,
    title,
    'warn',
    `no index starts with ${names(missing)}: every posts/comments batch would read the whole table, so the load slows as the table grows; before the load: ${create}`,
  );
}

export interface RowCountCheck {
  check: Check;
  rowCounts: Partial<Record<EntityName, number>>;
}

export async function countRows(
  source: SourceInspector,
  tables: readonly EntityName[],
): Promise<RowCountCheck> {
  const rowCounts: Partial<Record<EntityName, number>> = {};
  try {
    for (const table of tables) rowCounts[table] = await source.count(table);
  } catch (error) {
    return { check: check('source.rowCounts', 'row counts', 'fail', firstLine(error)), rowCounts };
  }
  const list = tables.map((table) => `${table} ${rowCounts[table]}`).join(', ');
  const total = Object.values(rowCounts).reduce((sum, n) => sum + n, 0);
  return {
    check:
      total === 0
        ? check('source.rowCounts', 'row counts', 'warn', `the source tables are empty (${list})`)
        : check('source.rowCounts', 'row counts', 'pass', list),
    rowCounts,
  };
}

export function firstLine(error: unknown): string {
  return errorMessage(error).split('\n')[0]!.slice(0, 300);
}
