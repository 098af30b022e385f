import { Queryable } from './queryable';
import { SOURCE_TABLES } from './schema';
import { seedComments } from './seed/comments';
import { SeedContext } from './seed/context';
import { seedPosts } from './seed/posts';
import { seedUsers } from './seed/users';
import { seedVotes } from './seed/votes';

export interface SeedOptions {
  users: number;
  /** Same seed and same options give byte-identical data. Default 42. */
  seed?: number;
  /** Add to tables that already hold rows (new rows get fresh ids and names). */
  append?: boolean;
  /** Called after each inserted chunk with the rows inserted so far into `table`. */
  onProgress?: (table: string, rowsInserted: number) => void;
}

export interface SeedSummary {
  users: number;
  posts: number;
  comments: number;
  votes: number;
  total: number;
}

type RowCounts = SeedContext['offsets'];

function validate(options: SeedOptions): void {
  if (!Number.isSafeInteger(options.users) || options.users < 1) {
    throw new Error(`seed: users must be an integer >= 1, got ${String(options.users)}`);
  }
  if (options.seed !== undefined && !Number.isSafeInteger(options.seed)) {
    throw new Error(`seed: seed must be an integer, got ${String(options.seed)}`);
  }
}

async function existingRows(db: Queryable): Promise<RowCounts> {
  const { rows } = await db.query(
    `SELECT ${SOURCE_TABLES.map((t) => `to_regclass('${t}') IS NOT NULL AS ${t}`).join(', ')}`,
  );
  const missing = SOURCE_TABLES.filter((table) => rows[0]?.[table] !== true);
  if (missing.length > 0) {
    throw new Error(`seed: source schema missing (${missing.join(', ')}): run initSource first`);
  }
  const counts = await db.query(
    `SELECT ${SOURCE_TABLES.map((t) => `(SELECT count(*)::int FROM ${t}) AS ${t}`).join(', ')}`,
  );
  const row = counts.rows[0] as RowCounts;
  return { users: row.users, posts: row.posts, comments: row.comments, votes: row.votes };
}

/**
 * Fills the source tables with a deterministic, realistically shaped and realistically messy
 * sample (docs/data-model.md): table by table, chunk by chunk, so memory stays flat whatever the size.
 * Not one transaction: a failed run leaves the rows inserted so far.
 */
export async function seedSource(db: Queryable, options: SeedOptions): Promise<SeedSummary> {
  validate(options);
  const offsets = await existingRows(db);
  const nonEmpty = SOURCE_TABLES.filter((table) => offsets[table] > 0);
  if (nonEmpty.length > 0 && !options.append) {
    throw new Error(
      `seed: source tables are not empty (${nonEmpty.map((t) => `${t}: ${offsets[t]} rows`).join(', ')}); ` +
        'seed an empty database, or pass append to add to it',
    );
  }
  const context: SeedContext = {
    db,
    // Folded to 32 bits: the generators mix it as an unsigned 32-bit integer.
    seed: (options.seed ?? 42) >>> 0,
    onProgress: options.onProgress ?? (() => undefined),
    offsets,
  };
  const users = await seedUsers(context, options.users);
  const posts = await seedPosts(context, users);
  const comments = await seedComments(context, users, posts);
  const votes = await seedVotes(context, users, posts, comments);
  return {
    users: users.count,
    posts: posts.count,
    comments: comments.count,
    votes,
    total: users.count + posts.count + comments.count + votes,
  };
}
