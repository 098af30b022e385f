import pg from 'pg';
import { EntityModule } from '../entities/entity';
import { SourceRow } from '../entities/registry';
import { describePostgresError } from '../postgres/errors';
import { KeyRange, PostgresSourceReader } from '../postgres/source-reader';
import { RowSet, SourceInspector, SourceServer } from './ports';

/**
 * The source side of preflight over the migration's own pool (same session settings and type
 * parsers, so sampled rows reach the transform exactly as in a run). No retries here except
 * through the reader: a reachability check should answer quickly, not after a minute of backoff.
 */
export class PostgresInspector implements SourceInspector {
  private readonly reader: PostgresSourceReader;

  constructor(private readonly pool: pg.Pool) {
    this.reader = new PostgresSourceReader(pool);
  }

  async server(): Promise<SourceServer> {
    const [row] = await this.query<{
      version: string;
      version_num: number;
      wal_level: string;
      database: string;
      user: string;
    }>(
      `SELECT current_setting('server_version') AS version,
              current_setting('server_version_num')::int AS version_num,
              current_setting('wal_level') AS wal_level,
              current_database() AS database, current_user AS user`,
    );
    return {
      version: row!.version.split(' ')[0]!,
      versionNum: row!.version_num,
      walLevel: row!.wal_level,
      database: row!.database,
      user: row!.user,
    };
  }

  async columns(tables: readonly string[]): Promise<Map<string, Map<string, string>>> {
    // to_regclass resolves names through search_path, exactly as the extraction's unqualified SQL.
    const rows = await this.query<{ table: string; column: string; type: string }>(
      `SELECT t.name AS table, a.attname AS column, format_type(a.atttypid, a.atttypmod) AS type
       FROM unnest($1::text[]) AS t(name)
       JOIN pg_attribute a ON a.attrelid = to_regclass(t.name) AND a.attnum > 0 AND NOT a.attisdropped`,
      [tables],
    );
    const result = new Map<string, Map<string, string>>();
    for (const { table, column, type } of rows) {
      if (!result.has(table)) result.set(table, new Map());
      result.get(table)!.set(column, type);
    }
    return result;
  }

  async indexedColumns(tables: readonly string[]): Promise<Set<string>> {
    // indkey[0] is the index's first column (0 for an expression, which matches no column).
    const rows = await this.query<{ table: string; column: string }>(
      `SELECT t.name AS table, a.attname AS column
       FROM unnest($1::text[]) AS t(name)
       JOIN pg_index i ON i.indrelid = to_regclass(t.name)
       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]`,
      [tables],
    );
    return new Set(rows.map(({ table, column }) => `${table}.${column}`));
  }

  async count(table: string): Promise<number> {
    const [row] = await this.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
    return Number(row!.n);
  }

  async rows(sql: string, examples: number): Promise<RowSet> {
    let client: pg.PoolClient | undefined;
    let rows: { id: string; n: string }[];
    try {
      client = await this.pool.connect();
      // The JSON number check compares with float8's text, which is the shortest exact
      // (round-trip) form only when extra_float_digits > 0 (the default since PostgreSQL 12).
      await client.query('SET extra_float_digits = 1');
      // One pass: the window counts every affected row, the sort keeps only the first few ids.
      ({ rows } = await client.query<{ id: string; n: string }>(
        `SELECT id::text AS id, count(*) OVER () AS n FROM (${sql}) affected ORDER BY id LIMIT $1`,
        [Math.max(1, examples)],
      ));
    } catch (error) {
      throw describePostgresError(error);
    } finally {
      client?.release();
    }
    return {
      count: rows.length === 0 ? 0 : Number(rows[0]!.n),
      examples: rows.slice(0, examples).map((row) => row.id),
    };
  }

  boundaries(table: string, every: number): Promise<string[]> {
    return this.reader.boundaries(table, every);
  }

  async rangeEnd(table: string, from: string | null, rows: number): Promise<string | null> {
    // Keyset walk of the primary key index: LIMIT after a bound, never OFFSET.
    const [row] = await this.query<{ id: string | null }>(
      `SELECT id::text AS id FROM (
         SELECT id FROM ${table} WHERE ($1::uuid IS NULL OR id > $1::uuid) ORDER BY id LIMIT $2
       ) r ORDER BY id DESC LIMIT 1`,
      [from, rows],
    );
    return row?.id ?? null;
  }

  readBatch(entity: EntityModule<SourceRow>, range: KeyRange): Promise<SourceRow[]> {
    return this.reader.readBatch(entity, range);
  }

  private async query<T extends object>(text: string, values?: unknown[]): Promise<T[]> {
    try {
      return (await this.pool.query<T>(text, values)).rows;
    } catch (error) {
      throw describePostgresError(error);
    }
  }
}
