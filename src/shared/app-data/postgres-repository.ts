import type pg from 'pg';
import { emailLookupKey, usernameLookupKey } from '../entities/users';
import { cosmosId, timestamp, uuid } from '../entities/values';
import { sortedCounts, totalVotes } from '../entities/vote-counts';
import { conflict, notFound } from '../errors/app-error';
import { decodeContinuation, encodeContinuation } from './continuation';
import {
  checked,
  idOf,
  invalid,
  isStorableText,
  modelTime,
  storableText,
  targetOf,
} from './inputs';
import {
  Comment,
  CommentChanges,
  Credentials,
  FeedQuery,
  NewComment,
  NewPost,
  NewUser,
  NewVote,
  Page,
  Post,
  PostChanges,
  User,
  UserChanges,
  Vote,
  VoteSummary,
  VoteTarget,
  VoteTargetType,
} from './model';
import { AppRepository } from './repository';

/** What `pg.Pool` and a checked-out client both run. */
type Db = Pick<pg.PoolClient, 'query'>;

const UNIQUE_VIOLATION = '23505';
/** Input PostgreSQL cannot take (a malformed value, a NUL in text): the caller's to fix. */
const INVALID_INPUT = new Set(['22P02', '22007', '22008', '22021', '22001', '22003']);

const pgCode = (error: unknown) => (error as { code?: unknown }).code;

/** A username or e-mail whose lookup id Cosmos could not hold (over 1,023 bytes) is refused, as there. */
function lookupIds(changes: { username?: string; email?: string }): void {
  checked(() => {
    if (changes.username !== undefined) {
      cosmosId(usernameLookupKey(changes.username), 'username lookup');
    }
    if (changes.email !== undefined) cosmosId(emailLookupKey(changes.email), 'email lookup');
  });
}

/** The row's timestamp text (see `asText`) as a model timestamp. */
const time = (raw: string | null, field: string) => timestamp(raw, field);

/**
 * Timestamps are selected as text: whatever type parsers the pool has, the microseconds
 * survive, and `timestamp()` normalizes the session's offset to UTC.
 */
const asText = (column: string, alias: string) => `${column}::text AS ${alias}`;

/** Votes per type on each row of `alias`, as JSON text (parsed here, not by the pool's parser). */
const voteCountsSql = (targetType: VoteTargetType, alias: string) => `
  (SELECT jsonb_object_agg(vote_type, n)::text FROM (
     SELECT vote_type, count(*)::int AS n FROM votes
     WHERE target_type = '${targetType}' AND target_id = ${alias}.id GROUP BY vote_type) per_type
  ) AS vote_counts`;

interface UserRow {
  id: string;
  username: string;
  email: string;
  created_at: string | null;
}

const USER_COLUMNS = `id, username, email, ${asText('created_at', 'created_at')}`;

const toUser = (row: UserRow): User => ({
  id: uuid(row.id),
  username: row.username,
  email: row.email,
  createdAt: time(row.created_at, 'created_at'),
});

interface PostRow {
  id: string;
  author_id: string;
  author_username: string;
  title: string;
  content: string;
  comment_count: number;
  vote_counts: string | null;
  created_at: string | null;
  updated_at: string | null;
}

/** Counts and the author's name come from the rows, never from the posts table's stale copies. */
const POST_SELECT = `
  SELECT p.id, p.author_id, u.username AS author_username, p.title, p.content,
         (SELECT count(*)::int FROM comments c WHERE c.post_id = p.id) AS comment_count,
         ${voteCountsSql('post', 'p')},
         ${asText('p.created_at', 'created_at')}, ${asText('p.updated_at', 'updated_at')}
  FROM posts p LEFT JOIN users u ON u.id = p.author_id`;

function toPost(row: PostRow): Post {
  const voteCounts = sortedCounts(JSON.parse(row.vote_counts ?? '{}'));
  return {
    id: uuid(row.id),
    authorId: uuid(row.author_id),
    authorUsername: row.author_username,
    title: row.title,
    content: row.content,
    commentCount: row.comment_count,
    voteCount: totalVotes(voteCounts),
    voteCounts,
    createdAt: time(row.created_at, 'created_at'),
    updatedAt: time(row.updated_at, 'updated_at'),
  };
}

interface CommentRow {
  id: string;
  post_id: string;
  user_id: string;
  author_username: string;
  parent_id: string | null;
  path: string;
  depth: number;
  content: string;
  child_count: number;
  vote_counts: string | null;
  created_at: string | null;
  updated_at: string | null;
}

const COMMENT_SELECT = `
  SELECT c.id, c.post_id, c.user_id, u.username AS author_username, c.parent_id, c.path,
         c.depth, c.content,
         (SELECT count(*)::int FROM comments r WHERE r.parent_id = c.id) AS child_count,
         ${voteCountsSql('comment', 'c')},
         ${asText('c.created_at', 'created_at')}, ${asText('c.updated_at', 'updated_at')}
  FROM comments c LEFT JOIN users u ON u.id = c.user_id`;

function toComment(row: CommentRow): Comment {
  const voteCounts = sortedCounts(JSON.parse(row.vote_counts ?? '{}'));
  return {
    id: uuid(row.id),
    postId: uuid(row.post_id),
    authorId: uuid(row.user_id),
    authorUsername: row.author_username,
    parentId: uuid(row.parent_id),
    path: row.path,
    depth: row.depth,
    content: row.content,
    childCount: row.child_count,
    voteCount: totalVotes(voteCounts),
    voteCounts,
    createdAt: time(row.created_at, 'created_at'),
    updatedAt: time(row.updated_at, 'updated_at'),
  };
}

interface VoteRow {
  user_id: string;
  target_type: VoteTargetType;
  target_id: string;
  vote_type: string;
  created_at: string | null;
}

const VOTE_COLUMNS = `user_id, target_type, target_id, vote_type, ${asText('created_at', 'created_at')}`;

const toVote = (row: VoteRow): Vote => ({
  userId: uuid(row.user_id),
  targetType: row.target_type,
  targetId: uuid(row.target_id),
  voteType: row.vote_type,
  createdAt: time(row.created_at, 'created_at'),
});

/**
 * The application's repository on PostgreSQL, the source of truth until the cut-over. Reads
 * compute what the Cosmos documents hold (counts, author names) from the rows themselves.
 * Writes that check a parent lock it (KEY SHARE, as a foreign key does), and deletions lock
 * what they delete first, so that a concurrent vote or reply either lands before the deletion
 * (and goes with it) or finds its target gone.
 */
export class PostgresAppRepository implements AppRepository {
  readonly store = 'postgres';

  constructor(private readonly pool: pg.Pool) {}

  // ---- users

  async createUser(user: NewUser): Promise<User> {
    const values = [
      idOf(user.id, 'id'),
      user.username,
      user.email,
      user.passwordHash,
      modelTime(user.createdAt, 'createdAt'),
    ];
    storableText(user.username, 'username');
    storableText(user.email, 'email');
    storableText(user.passwordHash, 'passwordHash');
    lookupIds(user);
    const rows = await this.run<UserRow>(
      this.pool,
      `INSERT INTO users (id, username, email, password_hash, created_at)
       VALUES ($1, $2, $3, $4, $5::timestamptz) RETURNING ${USER_COLUMNS}`,
      values,
      'the user id, username or e-mail is already taken',
    );
    return toUser(rows[0]!);
  }

  async getUser(id: string): Promise<User | null> {
    const rows = await this.run<UserRow>(
      this.pool,
      `SELECT ${USER_COLUMNS} FROM users WHERE id = $1`,
      [idOf(id, 'id')],
    );
    return rows[0] ? toUser(rows[0]) : null;
  }

  async updateUser(id: string, changes: UserChanges): Promise<User> {
    const userId = idOf(id, 'id');
    storableText(changes.username, 'username');
    storableText(changes.email, 'email');
    storableText(changes.passwordHash, 'passwordHash');
    return this.transaction(async (db) => {
      const [row] = await this.run<UserRow>(
        db,
        `UPDATE users SET username = COALESCE($2, username), email = COALESCE($3, email),
           password_hash = COALESCE($4, password_hash)
         WHERE id = $1 RETURNING ${USER_COLUMNS}`,
        [userId, changes.username ?? null, changes.email ?? null, changes.passwordHash ?? null],
        'the username or e-mail is already taken',
      );
      if (!row) throw notFound('APP_NOT_FOUND', `user ${userId} not found`);
      lookupIds(changes);
      if (changes.username !== undefined) {
        // posts.author_username is a copy the old application still reads: kept fresh.
        await db.query(
          `UPDATE posts SET author_username = $2
           WHERE author_id = $1 AND author_username IS DISTINCT FROM $2`,
          [userId, row.username],
        );
      }
      return toUser(row);
    });
  }

  async findCredentials(login: string): Promise<Credentials | null> {
    // No username or e-mail holds a NUL (PostgreSQL text cannot) or a lone surrogate (see
    // storableText(); the driver would send U+FFFD, another user's login), so no user has this login.
    if (typeof login !== 'string' || !isStorableText(login)) {
      return null;
    }
    const { rows } = await this.pool.query<{ id: string; password_hash: string }>(
      `SELECT id, password_hash FROM users WHERE username = $1 OR email = $1
       ORDER BY username = $1 DESC LIMIT 1`,
      [login],
    );
    return rows[0] ? { userId: uuid(rows[0].id), passwordHash: rows[0].password_hash } : null;
  }

  // ---- posts

  async createPost(post: NewPost): Promise<Post> {
    const id = idOf(post.id, 'id');
    const authorId = idOf(post.authorId, 'authorId');
    const createdAt = modelTime(post.createdAt, 'createdAt');
    return this.transaction(async (db) => {
      const author = await this.lockUser(db, authorId);
      storableText(post.title, 'title');
      storableText(post.content, 'content');
      // updated_at starts as created_at (not NOW()): the caller's time, on both stores.
      await this.run(
        db,
        `INSERT INTO posts (id, title, content, author_id, author_username, created_at,
                            updated_at, comment_count)
         VALUES ($1, $2, $3, $4, $5, $6::timestamptz, $6::timestamptz, 0)`,
        [id, post.title, post.content, authorId, author.username, createdAt],
        `post ${id} already exists`,
      );
      return (await this.readPost(db, id))!;
    });
  }

  async getPost(id: string): Promise<Post | null> {
    return this.readPost(this.pool, idOf(id, 'id'));
  }

  async updatePost(id: string, changes: PostChanges): Promise<Post> {
    const postId = idOf(id, 'id');
    const updatedAt = modelTime(changes.updatedAt, 'updatedAt');
    storableText(changes.title, 'title');
    storableText(changes.content, 'content');
    return this.transaction(async (db) => {
      const updated = await this.run(
        db,
        `UPDATE posts SET title = COALESCE($2, title), content = COALESCE($3, content),
           updated_at = $4::timestamptz
         WHERE id = $1 RETURNING id`,
        [postId, changes.title ?? null, changes.content ?? null, updatedAt],
      );
      if (updated.length === 0) throw notFound('APP_NOT_FOUND', `post ${postId} not found`);
      return (await this.readPost(db, postId))!;
    });
  }

  async deletePost(id: string): Promise<void> {
    const postId = idOf(id, 'id');
    await this.transaction(async (db) => {
      const locked = await db.query('SELECT id FROM posts WHERE id = $1 FOR UPDATE', [postId]);
      if (locked.rows.length === 0) throw notFound('APP_NOT_FOUND', `post ${postId} not found`);
      // The comments before their votes: a vote that waited on a comment's lock has committed
      // by the time its comment is deleted, so the next statement sees it.
      const { rows } = await db.query<{ id: string }>(
        'DELETE FROM comments WHERE post_id = $1 RETURNING id',
        [postId],
      );
      await this.deleteCommentVotes(
        db,
        rows.map((row) => row.id),
      );
      await db.query("DELETE FROM votes WHERE target_type = 'post' AND target_id = $1", [postId]);
      await db.query('DELETE FROM posts WHERE id = $1', [postId]);
    });
  }

  globalFeed(query: FeedQuery): Promise<Page<Post>> {
    return this.feed(query);
  }

  userPosts(userId: string, query: FeedQuery): Promise<Page<Post>> {
    return this.feed(query, idOf(userId, 'userId'));
  }

  private async readPost(db: Db, id: string): Promise<Post | null> {
    const { rows } = await db.query<PostRow>(`${POST_SELECT} WHERE p.id = $1`, [id]);
    return rows[0] ? toPost(rows[0]) : null;
  }

  /**
   * Newest first by (created_at, id), keyset-paged on the last item's position. The id
   * compares as text in byte order, as Cosmos compares strings (for lowercase UUIDs the same
   * order as the uuid type's). Posts without created_at have no position and are in no feed.
   */
  private async feed(query: FeedQuery, authorId?: string): Promise<Page<Post>> {
    const { limit } = query;
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
      throw invalid('limit must be an integer from 1 to 100');
    }
    // One more than the page, to know whether there is a next one.
    const values: unknown[] = [limit + 1];
    const conditions = ['p.created_at IS NOT NULL'];
    if (authorId !== undefined) {
      values.push(authorId);
      conditions.push(`p.author_id = $${values.length}`);
    }
    if (query.continuation != null) {
      const after = decodeContinuation(query.continuation);
      values.push(after.createdAt, after.id);
      const [t, id] = [`$${values.length - 1}::timestamptz`, `$${values.length}::text`];
      conditions.push(
        `(p.created_at < ${t} OR (p.created_at = ${t} AND p.id::text COLLATE "C" < ${id}))`,
      );
    }
    const { rows } = await this.pool.query<PostRow>(
      `${POST_SELECT} WHERE ${conditions.join(' AND ')}
       ORDER BY p.created_at DESC, p.id DESC LIMIT $1`,
      values,
    );
    const items = rows.slice(0, limit).map(toPost);
    const last = items.at(-1);
    const more = rows.length > limit && last !== undefined;
    return { items, continuation: more ? encodeContinuation(last.createdAt!, last.id) : null };
  }

  // ---- comments

  async commentThread(postId: string): Promise<Comment[]> {
    const { rows } = await this.pool.query<CommentRow>(
      // Byte order, as Cosmos orders strings: the collation's order could differ.
      `${COMMENT_SELECT} WHERE c.post_id = $1 ORDER BY c.path COLLATE "C", c.id`,
      [idOf(postId, 'postId')],
    );
    return rows.map(toComment);
  }

  async createComment(comment: NewComment): Promise<Comment> {
    const id = idOf(comment.id, 'id');
    const postId = idOf(comment.postId, 'postId');
    const authorId = idOf(comment.authorId, 'authorId');
    const parentId = comment.parentId === null ? null : idOf(comment.parentId, 'parentId');
    const createdAt = modelTime(comment.createdAt, 'createdAt');
    return this.transaction(async (db) => {
      await this.lockPost(db, postId);
      await this.lockUser(db, authorId);
      const parent = parentId === null ? null : await this.lockComment(db, postId, parentId);
      storableText(comment.content, 'content');
      await this.run(
        db,
        `INSERT INTO comments (id, post_id, content, user_id, parent_id, path, depth,
                               created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8::timestamptz, $8::timestamptz)`,
        [
          id,
          postId,
          comment.content,
          authorId,
          parentId,
          `${parent?.path ?? ''}${id}/`,
          parent ? parent.depth + 1 : 0,
          createdAt,
        ],
        `comment ${id} already exists`,
      );
      return (await this.readComment(db, postId, id))!;
    });
  }

  async updateComment(postId: string, id: string, changes: CommentChanges): Promise<Comment> {
    const commentId = idOf(id, 'id');
    const post = idOf(postId, 'postId');
    const updatedAt = modelTime(changes.updatedAt, 'updatedAt');
    storableText(changes.content, 'content');
    return this.transaction(async (db) => {
      const updated = await this.run(
        db,
        `UPDATE comments SET content = $3, updated_at = $4::timestamptz
         WHERE post_id = $1 AND id = $2 RETURNING id`,
        [post, commentId, changes.content, updatedAt],
      );
      if (updated.length === 0) {
        throw notFound('APP_NOT_FOUND', `comment ${commentId} of post ${post} not found`);
      }
      return (await this.readComment(db, post, commentId))!;
    });
  }

  async deleteComment(postId: string, id: string): Promise<void> {
    const post = idOf(postId, 'postId');
    const commentId = idOf(id, 'id');
    await this.transaction(async (db) => {
      // The post first: a reply (which holds its post) committed before is in the snapshots
      // below, one started after waits and finds its parent gone. Then the subtree, which a
      // vote holds. The prefix match is left(), not LIKE: a path may hold % or _.
      await db.query('SELECT 1 FROM posts WHERE id = $1 FOR UPDATE', [post]);
      const locked = await db.query<{ id: string }>(
        `SELECT c.id FROM comments root
         JOIN comments c ON c.post_id = root.post_id
           AND left(c.path, length(root.path)) = root.path
         WHERE root.post_id = $1 AND root.id = $2
         FOR UPDATE OF c`,
        [post, commentId],
      );
      if (locked.rows.length === 0) {
        throw notFound('APP_NOT_FOUND', `comment ${commentId} of post ${post} not found`);
      }
      const { rows } = await db.query<{ id: string }>(
        `DELETE FROM comments c USING comments root
         WHERE root.post_id = $1 AND root.id = $2
           AND c.post_id = root.post_id AND left(c.path, length(root.path)) = root.path
         RETURNING c.id`,
        [post, commentId],
      );
      await this.deleteCommentVotes(
        db,
        rows.map((row) => row.id),
      );
    });
  }

  private async readComment(db: Db, postId: string, id: string): Promise<Comment | null> {
    const { rows } = await db.query<CommentRow>(
      `${COMMENT_SELECT} WHERE c.post_id = $1 AND c.id = $2`,
      [postId, id],
    );
    return rows[0] ? toComment(rows[0]) : null;
  }

  private async deleteCommentVotes(db: Db, commentIds: string[]): Promise<void> {
    if (commentIds.length === 0) return;
    await db.query(
      "DELETE FROM votes WHERE target_type = 'comment' AND target_id = ANY($1::uuid[])",
      [commentIds],
    );
  }

  // ---- votes

  async vote(vote: NewVote): Promise<Vote> {
    const { targetType, targetId } = targetOf(vote);
    const userId = idOf(vote.userId, 'userId');
    const id = idOf(vote.id, 'id');
    const createdAt = modelTime(vote.createdAt, 'createdAt');
    if (targetType === 'comment' && vote.postId === undefined) {
      throw invalid('a vote on a comment needs its postId');
    }
    // A post's vote needs no postId: one given is not checked, as on Cosmos.
    const postId = targetType === 'comment' ? idOf(vote.postId!, 'postId') : null;
    return this.transaction(async (db) => {
      if (postId === null) await this.lockPost(db, targetId);
      else await this.lockComment(db, postId, targetId);
      await this.lockUser(db, userId);
      storableText(vote.voteType, 'voteType');
      // A changed vote keeps its row's id and created_at; only the type changes.
      const rows = await this.run<VoteRow>(
        db,
        `INSERT INTO votes (id, user_id, target_id, target_type, vote_type, created_at)
         VALUES ($1, $2, $3, $4, $5, $6::timestamptz)
         ON CONFLICT (user_id, target_id, target_type) DO UPDATE SET vote_type = EXCLUDED.vote_type
         RETURNING ${VOTE_COLUMNS}`,
        [id, userId, targetId, targetType, vote.voteType, createdAt],
        `vote ${id} already exists`,
      );
      return toVote(rows[0]!);
    });
  }

  async removeVote(userId: string, target: VoteTarget): Promise<void> {
    const { targetType, targetId } = targetOf(target);
    await this.pool.query(
      'DELETE FROM votes WHERE user_id = $1 AND target_id = $2 AND target_type = $3',
      [idOf(userId, 'userId'), targetId, targetType],
    );
  }

  async userVote(userId: string, target: VoteTarget): Promise<Vote | null> {
    const { targetType, targetId } = targetOf(target);
    const { rows } = await this.pool.query<VoteRow>(
      `SELECT ${VOTE_COLUMNS} FROM votes
       WHERE user_id = $1 AND target_id = $2 AND target_type = $3`,
      [idOf(userId, 'userId'), targetId, targetType],
    );
    return rows[0] ? toVote(rows[0]) : null;
  }

  async targetVotes(target: VoteTarget): Promise<Vote[]> {
    const { targetType, targetId } = targetOf(target);
    const { rows } = await this.pool.query<VoteRow>(
      `SELECT ${VOTE_COLUMNS} FROM votes WHERE target_id = $1 AND target_type = $2
       ORDER BY user_id`,
      [targetId, targetType],
    );
    return rows.map(toVote);
  }

  async voteSummary(target: VoteTarget): Promise<VoteSummary> {
    const { targetType, targetId } = targetOf(target);
    const { rows } = await this.pool.query<{ vote_type: string; n: number }>(
      `SELECT vote_type, count(*)::int AS n FROM votes
       WHERE target_id = $1 AND target_type = $2 GROUP BY vote_type`,
      [targetId, targetType],
    );
    const byType = sortedCounts(Object.fromEntries(rows.map((row) => [row.vote_type, row.n])));
    return { total: totalVotes(byType), byType };
  }

  // ---- locks and plumbing

  /**
   * KEY SHARE, as a foreign key's check takes: a deletion waits, and so does a rename (username
   * is a unique key), which then finds the new post's author_username to refresh.
   */
  private async lockUser(db: Db, id: string): Promise<{ username: string }> {
    const { rows } = await db.query<{ username: string }>(
      'SELECT username FROM users WHERE id = $1 FOR KEY SHARE',
      [id],
    );
    if (!rows[0]) throw notFound('APP_NOT_FOUND', `user ${id} not found`);
    return rows[0];
  }

  private async lockPost(db: Db, id: string): Promise<void> {
    const { rows } = await db.query('SELECT 1 FROM posts WHERE id = $1 FOR KEY SHARE', [id]);
    if (rows.length === 0) throw notFound('APP_NOT_FOUND', `post ${id} not found`);
  }

  private async lockComment(
    db: Db,
    postId: string,
    id: string,
  ): Promise<{ path: string; depth: number }> {
    const { rows } = await db.query<{ path: string; depth: number }>(
      'SELECT path, depth FROM comments WHERE post_id = $1 AND id = $2 FOR KEY SHARE',
      [postId, id],
    );
    if (!rows[0]) throw notFound('APP_NOT_FOUND', `comment ${id} of post ${postId} not found`);
    return rows[0];
  }

  /**
   * A write whose failures are the caller's: a unique violation is `APP_CONFLICT` (with a
   * message of its own: the driver's detail would show the value), bad input `INVALID_ARGUMENTS`.
   */
  private async run<Row extends pg.QueryResultRow = pg.QueryResultRow>(
    db: Db,
    sql: string,
    values: unknown[],
    conflictMessage = 'already exists',
  ): Promise<Row[]> {
    try {
      return (await db.query<Row>(sql, values)).rows;
    } catch (error) {
      if (pgCode(error) === UNIQUE_VIOLATION) throw conflict('APP_CONFLICT', conflictMessage);
      if (INVALID_INPUT.has(pgCode(error) as string)) {
        throw invalid(`PostgreSQL rejected a value (${pgCode(error)})`);
      }
      throw error;
    }
  }

  /** BEGIN … COMMIT on one pooled client; a client whose ROLLBACK failed is discarded. */
  private async transaction<T>(work: (db: Db) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch((rollback: Error) => (broken = rollback));
      throw error;
    } finally {
      client.release(broken);
    }
  }
}
