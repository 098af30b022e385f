import { Queryable } from '../queryable';
import { CHUNK_ROWS } from './shape';
import { Columns, TableWriter } from './table-writer';

export interface SeedContext {
  db: Queryable;
  seed: number;
  onProgress: (table: string, rowsInserted: number) => void;
  /** Rows already in each table (append mode): new rows take the indexes after them. */
  offsets: { users: number; posts: number; comments: number; votes: number };
}

export function writerFor(context: SeedContext, table: string, columns: Columns): TableWriter {
  return new TableWriter(context.db, table, columns, CHUNK_ROWS, context.onProgress);
}
