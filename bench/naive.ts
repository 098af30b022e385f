import { Container } from '@azure/cosmos';
import pg from 'pg';
import { idList } from '../src/shared/entities/entity';
import { ENTITIES } from '../src/shared/entities/registry';
import { RowError } from '../src/shared/entities/row-error';
import { mapConcurrent } from '../src/shared/concurrency/limits';

const PAGE = 100;
const AUTHOR_LOOKUP: Record<string, string | undefined> = {
  posts: 'SELECT username FROM users WHERE id = (SELECT author_id FROM posts WHERE id = $1)',
  comments: 'SELECT username FROM users WHERE id = (SELECT user_id FROM comments WHERE id = $1)',
  votes: 'SELECT username FROM users WHERE id = (SELECT user_id FROM votes WHERE id = $1)',
};

/**
 * The original plan's load: OFFSET pages, a lookup query per row (author, then the row's own
 * aggregates), and single-document upserts with concurrency 10. Returns documents written.
 */
export async function naiveLoad(
  pool: pg.Pool,
  containerOf: (name: string) => Container,
): Promise<number> {
  let written = 0;
  for (const entity of Object.values(ENTITIES)) {
    const container = containerOf(entity.container);
    for (let offset = 0; ; offset += PAGE) {
      const { rows: page } = await pool.query<{ id: string }>(
        `SELECT id FROM ${entity.table} ORDER BY id OFFSET $1 LIMIT $2`,
        [offset, PAGE],
      );
      if (page.length === 0) break;
      const documents = [];
      for (const { id } of page) {
        if (AUTHOR_LOOKUP[entity.name]) await pool.query(AUTHOR_LOOKUP[entity.name]!, [id]);
        const { rows } = await pool.query(entity.extractSql(idList), [[id]]);
        for (const row of rows) {
          try {
            documents.push(...entity.toDocuments(row));
          } catch (error) {
            if (!(error instanceof RowError)) throw error;
          }
        }
      }
      await mapConcurrent(documents, 10, async (document) => {
        await container.items.upsert(document);
        written++;
      });
    }
  }
  return written;
}
