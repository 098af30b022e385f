import pg from 'pg';
import { EntityModule } from '../entities/entity';
import { SourceRow } from '../entities/registry';
import { withRetry } from '../retry';
import { describePostgresError, isTransientPostgresError } from './errors';

/** `(from, to]` over the primary key; `null` is an open end. */
export interface KeyRange {
  from: string | null;
  to: string | null;
}

/** What the engine needs from the source database. */
export interface SourceReader {
  count(table: string): Promise<number>;
  /** Ids at every `batchSize`-th row in key order: the upper bounds of full batches. */
  boundaries(table: string, batchSize: number): Promise<string[]>;
  readBatch(entity: EntityModule<SourceRow>, range: KeyRange): Promise<SourceRow[]>;
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
    const { rows } = await this.query<SourceRow>(entity.extractSql, [range.from, range.to]);
    return rows;
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
