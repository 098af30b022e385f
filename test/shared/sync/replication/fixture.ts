import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { createSourcePool } from '../../../../src/shared/postgres/pool';
import { initSource } from '../../../../src/shared/source/schema';
import { PostgresChangeStream } from '../../../../src/shared/sync/replication/postgres-change-stream';
import { replicationNames } from '../../../../src/shared/sync/replication/names';
import type { Change } from '../../../../src/shared/sync/replication/change-stream';
import { freshDatabase, uniqueName } from '../../../support/servers';

export interface SyncDatabase {
  url: string;
  /** What the sync reads through: a source pool, as production uses. */
  source: pg.Pool;
  /**
   * The application's side. synchronous_commit=on: the test server runs with it off, and
   * logical decoding reads only flushed WAL, so an unflushed commit would not be seen yet.
   */
  app: pg.Pool;
  streams: PostgresChangeStream[];
  /** A stream with a name of its own; slots are per server, so names must not collide. */
  stream(): PostgresChangeStream;
  close(): Promise<void>;
}

export async function syncDatabase(prefix: string): Promise<SyncDatabase> {
  const url = await freshDatabase(prefix);
  const source = createSourcePool(url, { max: 4 });
  const app = new pg.Pool({ connectionString: url, max: 4, options: '-c synchronous_commit=on' });
  await initSource(app);
  const streams: PostgresChangeStream[] = [];
  return {
    url,
    source,
    app,
    streams,
    stream() {
      const stream = new PostgresChangeStream(source, replicationNames(uniqueName('t')));
      streams.push(stream);
      return stream;
    },
    async close() {
      for (const stream of streams) await stream.tearDown({ waitMs: 1000 }).catch(() => undefined);
      await Promise.all([source.end(), app.end()]);
    },
  };
}

export interface Ids {
  user: string;
  post: string;
  comment: string;
  vote: string;
}

export const newIds = (): Ids => ({
  user: randomUUID(),
  post: randomUUID(),
  comment: randomUUID(),
  vote: randomUUID(),
});

/** One row in each table, parents first, in one statement each (so one transaction each). */
export async function insertFamily(db: pg.Pool | pg.PoolClient, ids: Ids): Promise<void> {
  await db.query(
    `INSERT INTO users (id, username, email, password_hash, created_at)
     VALUES ($1, $2, $3, 'hash', '2025-09-22 10:00:00.123456+00')`,
    [ids.user, `user_${ids.user}`, `${ids.user}@example.com`],
  );
  await db.query(
    `INSERT INTO posts (id, title, content, author_id, author_username, sentiment_colors,
                        sentiment_analysis, is_blocked)
     VALUES ($1, 'title', 'content', $2, 'someone', ARRAY['red','blue'], '{"score": 0.5}', false)`,
    [ids.post, ids.user],
  );
  await db.query(
    `INSERT INTO comments (id, post_id, content, user_id, path, depth)
     VALUES ($1, $2, 'a comment', $3, $4, 0)`,
    [ids.comment, ids.post, ids.user, `${ids.comment}/`],
  );
  await db.query(
    `INSERT INTO votes (id, user_id, target_id, target_type, vote_type)
     VALUES ($1, $2, $3, 'post', 'up')`,
    [ids.vote, ids.user, ids.post],
  );
}

/** The part of a change a round acts on, for comparing sequences. */
export const summary = (change: Change) => `${change.op} ${change.table} ${change.key.id}`;

export async function scalar<T>(db: pg.Pool, sql: string, values: unknown[] = []): Promise<T> {
  const { rows } = await db.query(sql, values);
  return Object.values(rows[0] as Record<string, unknown>)[0] as T;
}

/** The AppError a promise rejects with, so its code and message can both be checked. */
export async function rejection(
  work: Promise<unknown>,
): Promise<{ code: string; message: string }> {
  try {
    await work;
  } catch (error) {
    return error as { code: string; message: string };
  }
  throw new Error('expected a rejection');
}
