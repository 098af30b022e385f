import pg from 'pg';
import { EntityModule } from '../entities/entity';
import { SourceRow } from '../entities/registry';
import { AppError } from '../errors/app-error';
import { describePostgresError } from '../postgres/errors';
import { KeyRange, PostgresSourceReader } from '../postgres/source-reader';
import { listLeftovers, type Leftovers } from '../sync/replication';
import { inspectSourceTables } from '../sync/replication/source-tables';
import {
  OpenTransactions,
  ReplicationRole,
  ReplicationServer,
  RowSet,
  SourceInspector,
  SourceServer,
} from './ports';

/** max_slot_wal_keep_size (PostgreSQL 13+) is asked with missing_ok, so 12 answers null. */
const REPLICATION_SERVER_SQL = `
SELECT current_setting('max_replication_slots')::int AS max_slots,
       (SELECT count(*)::int FROM pg_replication_slots) AS used_slots,
       current_setting('max_slot_wal_keep_size', true) AS keep_size`;

/**
 * The role's attributes and what CREATE PUBLICATION ... FOR TABLE checks: CREATE on the
 * database and ownership of each table (USAGE of the owner role: membership that inherits).
 * rds_replication is looked up by oid, so a server without that role answers null.
 */
const REPLICATION_ROLE_SQL = `
SELECT r.rolname AS role, current_database() AS database,
       r.rolsuper AS superuser, r.rolreplication AS replication,
       pg_has_role(r.oid, (SELECT oid FROM pg_roles WHERE rolname = 'rds_replication'), 'MEMBER')
         AS rds_replication,
       has_database_privilege(current_database(), 'CREATE') AS create_on_database,
       COALESCE((SELECT json_agg(json_build_object('table', t.name, 'owner', pg_get_userbyid(c.relowner))
                                 ORDER BY t.position)
                 FROM unnest($1::text[]) WITH ORDINALITY AS t(name, position)
                 JOIN pg_class c ON c.oid = to_regclass(t.name)
                 WHERE NOT pg_has_role(r.oid, c.relowner, 'USAGE')), '[]') AS not_owned
FROM pg_roles r WHERE r.rolname = current_user`;

/**
 * Sessions of every database (creating a slot waits on the whole server's transactions) whose
 * transaction holds an xid or a snapshot, and prepared transactions. Other roles' sessions show
 * no xact_start without pg_read_all_stats, so they cannot be aged and are left out.
 */
const OPEN_TRANSACTIONS_SQL = `
SELECT a.pid, NULL::text AS gid, a.datname::text AS database, a.usename::text AS user,
       CASE WHEN a.backend_type = 'client backend' THEN a.state ELSE a.backend_type END AS state,
       extract(epoch FROM now() - a.xact_start)::float8 AS age_seconds,
       a.backend_xid IS NOT NULL AS holds_xid
FROM pg_stat_activity a
WHERE a.pid <> pg_backend_pid() AND (a.backend_xid IS NOT NULL OR a.backend_xmin IS NOT NULL)
  AND a.xact_start < now() - make_interval(secs => $1)
UNION ALL
SELECT NULL, p.gid, p.database::text, p.owner::text, NULL,
       extract(epoch FROM now() - p.prepared)::float8, true
FROM pg_prepared_xacts p
WHERE p.prepared < now() - make_interval(secs => $1)
ORDER BY age_seconds DESC`;

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

  async replicationServer(): Promise<ReplicationServer> {
    const [row] = await this.query<{
      max_slots: number;
      used_slots: number;
      keep_size: string | null;
    }>(REPLICATION_SERVER_SQL);
    return {
      maxReplicationSlots: row!.max_slots,
      slotsInUse: row!.used_slots,
      maxSlotWalKeepSize: row!.keep_size,
    };
  }

  async replicationRole(tables: readonly string[]): Promise<ReplicationRole> {
    const [row] = await this.query<{
      role: string;
      database: string;
      superuser: boolean;
      replication: boolean;
      rds_replication: boolean | null;
      create_on_database: boolean;
      not_owned: { table: string; owner: string }[];
    }>(REPLICATION_ROLE_SQL, [tables]);
    return {
      role: row!.role,
      database: row!.database,
      superuser: row!.superuser,
      replication: row!.replication,
      rdsReplication: row!.rds_replication,
      createOnDatabase: row!.create_on_database,
      notOwned: row!.not_owned,
    };
  }

  async syncTableProblems(): Promise<string | null> {
    try {
      await inspectSourceTables(this.pool);
      return null;
    } catch (error) {
      if (error instanceof AppError && error.code === 'SYNC_SCHEMA_MISMATCH') return error.message;
      throw describePostgresError(error);
    }
  }

  async leftovers(): Promise<Leftovers> {
    try {
      return await listLeftovers(this.pool);
    } catch (error) {
      throw describePostgresError(error);
    }
  }

  async openTransactions(seconds: number): Promise<OpenTransactions> {
    const rows = await this.query<{
      pid: number | null;
      gid: string | null;
      database: string | null;
      user: string | null;
      state: string | null;
      age_seconds: number;
      holds_xid: boolean;
    }>(OPEN_TRANSACTIONS_SQL, [seconds]);
    const [visibility] = await this.query<{ sees_all: boolean }>(
      `SELECT pg_has_role(current_user, 'pg_read_all_stats', 'USAGE') AS sees_all`,
    );
    return {
      transactions: rows.map((row) => ({
        pid: row.pid,
        gid: row.gid,
        database: row.database,
        user: row.user,
        state: row.state,
        ageSeconds: row.age_seconds,
        holdsXid: row.holds_xid,
      })),
      seesAllSessions: visibility!.sees_all,
    };
  }

  private async query<T extends object>(text: string, values?: unknown[]): Promise<T[]> {
    try {
      return (await this.pool.query<T>(text, values)).rows;
    } catch (error) {
      throw describePostgresError(error);
    }
  }
}
