import { Queryable } from '../queryable';

/** PostgreSQL types the writer can send; `text[]` columns take `string[] | null` values. */
export type ColumnType =
  'uuid' | 'text' | 'timestamptz' | 'float8' | 'int4' | 'bool' | 'jsonb' | 'text[]';
export type Columns = readonly (readonly [name: string, type: ColumnType])[];

/**
 * A PostgreSQL array literal: every element quoted (so '', 'NULL' and spaces stay text), `\`
 * and `"` escaped, JS null as an unquoted NULL element.
 */
export function textArrayLiteral(values: readonly (string | null)[]): string {
  const elements = values.map((value) =>
    value === null ? 'NULL' : `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`,
  );
  return `{${elements.join(',')}}`;
}

function encode(type: ColumnType, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (type === 'jsonb') return JSON.stringify(value);
  if (type === 'text[]') return textArrayLiteral(value as (string | null)[]);
  return value;
}

/**
 * One `INSERT ... SELECT FROM unnest(...)` per chunk: a statement per chunk instead of per row,
 * and a fixed number of parameters whatever the chunk size. `unnest` cannot take an array of
 * arrays with ragged lengths, so `text[]` values travel as array literals and are cast per row.
 */
function insertSql(table: string, columns: Columns): string {
  const names = columns.map(([name]) => name);
  const params = columns.map(([, type], i) => `$${i + 1}::${type === 'text[]' ? 'text' : type}[]`);
  const selected = columns.map(([name, type]) => (type === 'text[]' ? `${name}::text[]` : name));
  return (
    `INSERT INTO ${table} (${names.join(', ')}) SELECT ${selected.join(', ')} ` +
    `FROM unnest(${params.join(', ')}) AS row(${names.join(', ')})`
  );
}

/** Buffers rows column by column and inserts them a chunk at a time. */
export class TableWriter {
  private readonly sql: string;
  private buffer: unknown[][];
  private buffered = 0;
  inserted = 0;

  constructor(
    private readonly db: Queryable,
    private readonly table: string,
    private readonly columns: Columns,
    private readonly chunkRows: number,
    private readonly onChunk: (table: string, inserted: number) => void = () => undefined,
  ) {
    this.sql = insertSql(table, columns);
    this.buffer = columns.map(() => []);
  }

  /** Values in the order of `columns`; inserts when a chunk is full. */
  async add(values: readonly unknown[]): Promise<void> {
    this.columns.forEach(([, type], i) => this.buffer[i]!.push(encode(type, values[i])));
    this.buffered += 1;
    if (this.buffered >= this.chunkRows) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.buffered === 0) return;
    const params = this.buffer;
    const rows = this.buffered;
    this.buffer = this.columns.map(() => []);
    this.buffered = 0;
    await this.db.query(this.sql, params);
    this.inserted += rows;
    this.onChunk(this.table, this.inserted);
  }
}
