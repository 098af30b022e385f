import pg from 'pg';
import { EntityModule, idList, keysetRange } from '../entities/entity';
import { SourceRow } from '../entities/registry';
import { withRetry } from '../errors/retry';
import { describePostgresError, isTransientPostgresError } from './errors';

/** `(from, to]` over the primary key; `null` is an open end. */
export interface KeyRange {
  from: string | null;
  to: string | null;
}

/** The foreign-key-like columns a change is followed along (see sync/dependents). */
export type RelatedColumn = 'author_id' | 'user_id' | 'post_id' | 'target_id';

export interface TimeWindow {
  from: string;
  to: string;
}

/** What the engine needs from the source database. */
export interface SourceReader {
  count(table: string): Promise<number>;
  /** Ids at every `batchSize`-th row in key order: the upper bounds of full batches. */
  boundaries(table: string, batchSize: number): Promise<string[]>;
  readBatch(entity: EntityModule<SourceRow>, range: KeyRange): Promise<SourceRow[]>;
  /** The rows with these ids that still exist, in id order. */
  readRows(entity: EntityModule<SourceRow>, ids: string[]): Promise<SourceRow[]>;
  /** `size` ids drawn uniformly from the whole table, in id order. */
  sampleIds(table: string, size: number): Promise<string[]>;
  /** Ids of the rows of `table` whose `column` is one of `values` (and of `targetType`, for votes). */
  relatedIds(
    table: string,
    column: RelatedColumn,
    values: string[],
    targetType?: 'post' | 'comment',
  ): Promise<string[]>;
  /** One keyset page of the ids whose documents may have changed in the window (see changedSql). */
  changedIds(
    entity: EntityModule<SourceRow>,
    window: TimeWindow,
    after: string | null,
    limit: number,
  ): Promise<string[]>;
  close(): Promise<void>;
}

const READ_RETRY = { attempts: 6, baseDelayMs: 200, maxDelayMs: 5_000 };

export class PostgresSourceReader implements SourceReader {
  constructor(private readonly pool: pg.Pool) {}

  async count(table: string): Promise<number> {
    const { rows } = await this.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
    return Number(rows[0]!.n);
  }

  async boundaries(table: string, batchSize: number): Promise<string[]> {
    // One ordered pass over the primary key; only every batchSize-th id comes back (no OFFSET).
    const { rows } = await this.query<{ id: string }>(
      `SELECT id FROM (SELECT id, row_number() OVER (ORDER BY id) AS rn FROM ${table}) numbered
       WHERE rn % $1 = 0 ORDER BY id`,
      [batchSize],
    );
    return rows.map((row) => row.id);
  }

  async readBatch(entity: EntityModule<SourceRow>, range: KeyRange): Promise<SourceRow[]> {
    const { rows } = await this.query<SourceRow>(entity.extractSql(keysetRange), [
      range.from,
      range.to,
    ]);
    return rows;
  }

  async readRows(entity: EntityModule<SourceRow>, ids: string[]): Promise<SourceRow[]> {
    if (ids.length === 0) return [];
    const { rows } = await this.query<SourceRow>(entity.extractSql(idList), [ids]);
    return rows;
  }

  async sampleIds(table: string, size: number): Promise<string[]> {
    // One pass with a bounded top-N sort: uniform over the whole table, not its first rows.
    const { rows } = await this.query<{ id: string }>(
      `SELECT id FROM (SELECT id FROM ${table} ORDER BY random() LIMIT $1) sample ORDER BY id`,
      [size],
    );
    return rows.map((row) => row.id);
  }

  async relatedIds(
    table: string,
    column: RelatedColumn,
    values: string[],
    targetType?: 'post' | 'comment',
  ): Promise<string[]> {
    if (values.length === 0) return [];
    const { rows } = await this.query<{ id: string }>(
      `SELECT id FROM ${table} WHERE ${column} = ANY($1::uuid[])` +
        (targetType ? ` AND target_type = $2` : ''),
      targetType ? [values, targetType] : [values],
    );
    return rows.map((row) => row.id);
  }

  async changedIds(
    entity: EntityModule<SourceRow>,
    window: TimeWindow,
    after: string | null,
    limit: number,
  ): Promise<string[]> {
    const { rows } = await this.query<{ id: string }>(entity.changedSql, [
      window.from,
      window.to,
      after,
      limit,
    ]);
    return rows.map((row) => row.id);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  private async query<T extends object>(
    text: string,
    values?: unknown[],
  ): Promise<pg.QueryResult<T>> {
    try {
      return await withRetry(
        () => this.pool.query<T>(text, values),
        isTransientPostgresError,
        READ_RETRY,
      );
    } catch (error) {
      throw describePostgresError(error);
    }
  }
}
