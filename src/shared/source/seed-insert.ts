import { Queryable } from './queryable';

const CHUNK_ROWS = 2000;

/**
 * Inserts rows in chunks, one statement each: every column travels as a text array and is
 * cast on the server (`name::type` in `columns`), so a chunk is one round trip.
 */
export async function insertChunks(
  db: Queryable,
  table: string,
  columns: string[],
  rows: unknown[][],
  onProgress: (inserted: number) => void,
): Promise<void> {
  const names = columns.map((column) => column.split('::')[0]!);
  const casts = columns.map((column, i) => {
    const type = column.split('::')[1];
    return type ? `c${i}::${type}` : `c${i}`;
  });
  const sql =
    `INSERT INTO ${table} (${names.join(', ')}) SELECT ${casts.join(', ')} ` +
    `FROM unnest(${columns.map((_, i) => `$${i + 1}::text[]`).join(', ')}) AS t(${columns.map((_, i) => `c${i}`).join(', ')})`;
  for (let start = 0; start < rows.length; start += CHUNK_ROWS) {
    const chunk = rows.slice(start, start + CHUNK_ROWS);
    const values = columns.map((_, i) =>
      chunk.map((row) => (row[i] === null || row[i] === undefined ? null : String(row[i]))),
    );
    await db.query(sql, values);
    onProgress(Math.min(rows.length, start + CHUNK_ROWS));
  }
}
