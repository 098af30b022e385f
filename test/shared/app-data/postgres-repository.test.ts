import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeContinuation, encodeContinuation } from '../../../src/shared/app-data/continuation';
import { Post } from '../../../src/shared/app-data/model';
import { PostgresAppRepository } from '../../../src/shared/app-data/postgres-repository';
import { createSourcePool } from '../../../src/shared/postgres/pool';
import { initSource } from '../../../src/shared/source/schema';
import { appError, appFixtures, at, freshRootComment } from '../../support/app-data';
import { freshDatabase } from '../../support/servers';

describe('the PostgreSQL adapter of the application repository', () => {
  let url: string;
  let pool: pg.Pool;
  let repo: PostgresAppRepository;
  let n = 0;
  /** A fresh timestamp, later than every one before it. */
  const next = () => at(++n);

  beforeAll(async () => {
    url = await freshDatabase('app_postgres');
    pool = createSourcePool(url, { max: 6 });
    await initSource(pool);
    repo = new PostgresAppRepository(pool);
  });

  afterAll(() => pool?.end());

  const sql = async <T = Record<string, unknown>>(text: string, values: unknown[] = []) =>
    (await pool.query(text, values)).rows as T[];

  const { newUser, newPost, newComment, voteOn } = appFixtures(() => repo, next);

  const count = async (table: string, where: string, values: unknown[]) =>
    (await sql<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE ${where}`, values))[0]!
      .n;

  describe('users', () => {
    it('creates a user, reads it by id and finds its credentials by username or e-mail', async () => {
      const createdAt = next();
      const id = randomUUID();
      const user = await repo.createUser({
        id: id.toUpperCase(),
        username: 'carol',
        email: 'carol@example.com',
        passwordHash: 'hash-of-carol',
        createdAt,
      });
      expect(user).toEqual({ id, username: 'carol', email: 'carol@example.com', createdAt });
      expect(await repo.getUser(id)).toEqual(user);
      expect(await repo.getUser(id.toUpperCase())).toEqual(user);
      expect(await repo.getUser(randomUUID())).toBeNull();
      await expect(repo.getUser('not-a-uuid')).rejects.toEqual(appError('INVALID_ARGUMENTS', 400));
      // Stored exactly as given, microseconds and all.
      expect(
        await count('users', 'id = $1 AND created_at = $2::timestamptz', [id, createdAt]),
      ).toBe(1);

      const credentials = { userId: id, passwordHash: 'hash-of-carol' };
      expect(await repo.findCredentials('carol')).toEqual(credentials);
      expect(await repo.findCredentials('carol@example.com')).toEqual(credentials);
      expect(await repo.findCredentials('Carol')).toBeNull();
      expect(await repo.findCredentials('nobody')).toBeNull();
      expect(await repo.findCredentials('car\u0000ol')).toBeNull();
    });

    it('prefers the user whose username is the login over one whose e-mail is', async () => {
      const byEmail = await newUser();
      const byName = await repo.createUser({
        id: randomUUID(),
        username: byEmail.email,
        email: `other-${byEmail.email}`,
        passwordHash: 'name-hash',
        createdAt: next(),
      });
      expect(await repo.findCredentials(byEmail.email)).toEqual({
        userId: byName.id,
        passwordHash: 'name-hash',
      });
    });

    it('refuses a taken username, e-mail or id and writes nothing', async () => {
      const taken = await newUser();
      const id: string = randomUUID();
      const attempt = (username: string, email: string, userId = id) =>
        repo.createUser({ id: userId, username, email, passwordHash: 'h', createdAt: next() });
      await expect(attempt(taken.username, 'fresh-1@example.com')).rejects.toEqual(
        appError('APP_CONFLICT', 409),
      );
      await expect(attempt('fresh-1', taken.email)).rejects.toEqual(appError('APP_CONFLICT', 409));
      await expect(attempt('fresh-2', 'fresh-2@example.com', taken.id)).rejects.toEqual(
        appError('APP_CONFLICT', 409),
      );
      expect(await repo.getUser(id)).toBeNull();
      expect(await repo.findCredentials('fresh-2')).toBeNull();
      expect(await repo.getUser(taken.id)).toEqual(taken);
    });

    it('renames, keeps the posts copy of the name fresh, and refuses a taken name', async () => {
      const user = await newUser();
      const other = await newUser();
      const post = await newPost(user.id);
      const renamed = await repo.updateUser(user.id, { username: `${user.username}-new` });
      expect(renamed).toEqual({ ...user, username: `${user.username}-new` });
      expect(await repo.findCredentials(user.username)).toBeNull();
      expect(await repo.findCredentials(renamed.username)).toMatchObject({ userId: user.id });
      expect(await repo.findCredentials(user.email)).toMatchObject({ userId: user.id });
      expect(await sql('SELECT author_username FROM posts WHERE id = $1', [post.id])).toEqual([
        { author_username: renamed.username },
      ]);
      expect((await repo.getPost(post.id))!.authorUsername).toBe(renamed.username);
      // The old name is free for someone else.
      await repo.updateUser(other.id, { username: user.username });
      expect(await repo.findCredentials(user.username)).toMatchObject({ userId: other.id });

      await expect(repo.updateUser(user.id, { email: other.email })).rejects.toEqual(
        appError('APP_CONFLICT', 409),
      );
      // A refused update changes nothing, not even the part that was free.
      await expect(
        repo.updateUser(user.id, { username: 'not-taken', email: other.email }),
      ).rejects.toEqual(appError('APP_CONFLICT', 409));
      expect(await repo.getUser(user.id)).toEqual(renamed);
      expect(await repo.findCredentials('not-taken')).toBeNull();
      expect(await sql('SELECT author_username FROM posts WHERE id = $1', [post.id])).toEqual([
        { author_username: renamed.username },
      ]);

      expect(await repo.updateUser(user.id, { passwordHash: 'new-hash' })).toEqual(renamed);
      expect(await repo.findCredentials(renamed.username)).toEqual({
        userId: user.id,
        passwordHash: 'new-hash',
      });
      expect(await repo.updateUser(user.id, {})).toEqual(renamed);
      await expect(repo.updateUser(randomUUID(), { username: 'x' })).rejects.toEqual(
        appError('APP_NOT_FOUND', 404),
      );
    });
  });

  describe('posts', () => {
    it('creates a post with the columns the old application expects', async () => {
      const author = await newUser();
      const createdAt = next();
      const post = await newPost(author.id, createdAt);
      expect(post).toEqual({
        id: post.id,
        authorId: author.id,
        authorUsername: author.username,
        title: 'a title',
        content: 'text',
        commentCount: 0,
        voteCount: 0,
        voteCounts: {},
        createdAt,
        updatedAt: createdAt,
      });
      expect(await repo.getPost(post.id)).toEqual(post);
      expect(await repo.getPost(post.id.toUpperCase())).toEqual(post);
      expect(await repo.getPost(randomUUID())).toBeNull();
      expect(
        await sql(
          `SELECT author_username, comment_count, popularity_score, is_blocked,
                  created_at = $2::timestamptz AND updated_at = $2::timestamptz AS exact
           FROM posts WHERE id = $1`,
          [post.id, createdAt],
        ),
      ).toEqual([
        {
          author_username: author.username,
          comment_count: 0,
          popularity_score: 1,
          is_blocked: false,
          exact: true,
        },
      ]);
    });

    it('counts comments and votes from the rows, never from the stale copies', async () => {
      const author = await newUser();
      const voters = [await newUser(), await newUser(), await newUser()];
      const post = await newPost(author.id);
      const root = await newComment(post.id, author.id);
      await newComment(post.id, author.id, root.id);
      await voteOn(voters[0]!.id, 'post', post.id, post.id, 'wow');
      await voteOn(voters[1]!.id, 'post', post.id, post.id, 'like');
      await voteOn(voters[2]!.id, 'post', post.id, post.id, 'wow');
      // A vote on a comment is not the post's.
      await voteOn(voters[0]!.id, 'comment', root.id, post.id, 'angry');
      await sql(`UPDATE posts SET comment_count = 99, author_username = 'stale' WHERE id = $1`, [
        post.id,
      ]);
      const read = await repo.getPost(post.id);
      expect(read).toMatchObject({
        authorUsername: author.username,
        commentCount: 2,
        voteCount: 3,
        voteCounts: { like: 1, wow: 2 },
      });
      expect(Object.keys(read!.voteCounts)).toEqual(['like', 'wow']);
    });

    it('updates the given fields and updatedAt only', async () => {
      const author = await newUser();
      const post = await newPost(author.id);
      const updatedAt = next();
      const updated = await repo.updatePost(post.id, { content: 'new text', updatedAt });
      expect(updated).toEqual({ ...post, content: 'new text', updatedAt });
      const later = next();
      expect(await repo.updatePost(post.id, { title: 'T2', updatedAt: later })).toEqual({
        ...updated,
        title: 'T2',
        updatedAt: later,
      });
      expect(await repo.getPost(post.id)).toEqual({ ...updated, title: 'T2', updatedAt: later });
    });

    it('names missing authors, posts, duplicates and malformed input with their codes', async () => {
      const author = await newUser();
      await expect(newPost(randomUUID())).rejects.toEqual(appError('APP_NOT_FOUND', 404));
      await expect(repo.updatePost(randomUUID(), { updatedAt: next() })).rejects.toEqual(
        appError('APP_NOT_FOUND', 404),
      );
      await expect(repo.deletePost(randomUUID())).rejects.toEqual(appError('APP_NOT_FOUND', 404));
      const post = await newPost(author.id);
      await expect(
        repo.createPost({ ...post, authorId: author.id, createdAt: next() }),
      ).rejects.toEqual(appError('APP_CONFLICT', 409));
      await expect(repo.getPost('not-a-uuid')).rejects.toEqual(appError('INVALID_ARGUMENTS', 400));
      for (const createdAt of ['yesterday', '2031-13-45T00:00:00.000000Z']) {
        await expect(
          repo.createPost({
            id: randomUUID(),
            authorId: author.id,
            title: 't',
            content: 'c',
            createdAt,
          }),
        ).rejects.toEqual(appError('INVALID_ARGUMENTS', 400));
      }
      await expect(
        repo.updatePost(post.id, { content: 'nul \u0000', updatedAt: next() }),
      ).rejects.toEqual(appError('INVALID_ARGUMENTS', 400));
      expect(await repo.getPost(post.id)).toEqual(post);
    });

    it('deletes a post with its comments and every vote on them, and nothing else', async () => {
      const author = await newUser();
      const voter = await newUser();
      const post = await newPost(author.id);
      const other = await newPost(author.id);
      const root = await newComment(post.id, author.id);
      const reply = await newComment(post.id, author.id, root.id);
      const survivor = await newComment(other.id, author.id);
      await voteOn(voter.id, 'post', post.id, post.id);
      await voteOn(voter.id, 'comment', reply.id, post.id);
      await voteOn(voter.id, 'post', other.id, other.id);
      await voteOn(voter.id, 'comment', survivor.id, other.id);

      await repo.deletePost(post.id);
      expect(await repo.getPost(post.id)).toBeNull();
      expect(await repo.commentThread(post.id)).toEqual([]);
      expect(await count('comments', 'post_id = $1', [post.id])).toBe(0);
      expect(
        await count('votes', 'target_id = ANY($1::uuid[])', [[post.id, root.id, reply.id]]),
      ).toBe(0);
      // The other post keeps everything.
      expect(await repo.commentThread(other.id)).toEqual([
        { ...survivor, voteCount: 1, voteCounts: { like: 1 } },
      ]);
      expect(await repo.voteSummary({ targetType: 'post', targetId: other.id })).toEqual({
        total: 1,
        byType: { like: 1 },
      });
      await expect(repo.deletePost(post.id)).rejects.toEqual(appError('APP_NOT_FOUND', 404));
    });
  });

  describe('feeds', () => {
    it('pages newest first by createdAt then id, with a store-independent continuation', async () => {
      const [first, second] = [await newUser(), await newUser()];
      const tie = next();
      for (const [i, author] of [first, second, first, second, first, second, first].entries()) {
        // Four posts share a createdAt: the id decides.
        await newPost(author.id, i < 4 ? tie : next());
      }
      // A post without created_at has no place in a feed.
      const undated = await newPost(first.id);
      await sql('UPDATE posts SET created_at = NULL WHERE id = $1', [undated.id]);

      /** The expected order, computed here from the rows (timestamps are fixed width). */
      const order = async (authorId?: string) =>
        (
          await sql<{ id: string; t: string }>(
            `SELECT id, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS t
             FROM posts WHERE created_at IS NOT NULL AND ($1::uuid IS NULL OR author_id = $1)`,
            [authorId ?? null],
          )
        )
          .sort((a, b) => (a.t !== b.t ? (a.t < b.t ? 1 : -1) : a.id < b.id ? 1 : -1))
          .map((row) => row.id);
      const pages = async (read: (continuation: string | null) => Promise<unknown>) => {
        const ids: string[] = [];
        let continuation: string | null = null;
        let pageCount = 0;
        do {
          const page = (await read(continuation)) as { items: Post[]; continuation: string | null };
          expect(page.items.length).toBeLessThanOrEqual(3);
          if (page.continuation !== null) {
            expect(page.items).toHaveLength(3);
            // The token is the last item's position, nothing of either store's own.
            const last = page.items.at(-1)!;
            expect(decodeContinuation(page.continuation)).toEqual({
              createdAt: last.createdAt,
              id: last.id,
            });
            expect(page.continuation).toBe(encodeContinuation(last.createdAt!, last.id));
          }
          ids.push(...page.items.map((post) => post.id));
          continuation = page.continuation;
          pageCount++;
        } while (continuation !== null && pageCount < 100);
        return ids;
      };
      const everyPost = await order();
      expect(everyPost).not.toContain(undated.id);
      expect(await pages((c) => repo.globalFeed({ limit: 3, continuation: c }))).toEqual(everyPost);
      const own = await order(first.id);
      expect(own).toHaveLength(4);
      expect(await pages((c) => repo.userPosts(first.id, { limit: 3, continuation: c }))).toEqual(
        own,
      );

      // An exactly full last page says there is no more.
      const page = await repo.userPosts(first.id, { limit: 4 });
      expect(page.items.map((post) => post.id)).toEqual(own);
      expect(page.continuation).toBeNull();
      expect(page.items[0]).toEqual(await repo.getPost(own[0]!));
      expect(await repo.userPosts(randomUUID(), { limit: 10 })).toEqual({
        items: [],
        continuation: null,
      });
      // A position made elsewhere (the Cosmos adapter's token) continues the same feed.
      const third = page.items[2]!;
      const rest = await repo.userPosts(first.id, {
        limit: 10,
        continuation: encodeContinuation(third.createdAt!, third.id),
      });
      expect(rest).toEqual({ items: [page.items[3]], continuation: null });

      // A position past every post: an empty last page.
      const past = encodeContinuation('0001-01-01T00:00:00.000000Z', '0');
      expect(await repo.globalFeed({ limit: 5, continuation: past })).toEqual({
        items: [],
        continuation: null,
      });
    });

    it('rejects a limit outside 1 to 100 and a malformed continuation', async () => {
      for (const limit of [0, 101, 2.5, Number.NaN]) {
        await expect(repo.globalFeed({ limit })).rejects.toEqual(
          appError('INVALID_ARGUMENTS', 400),
        );
      }
      expect((await repo.globalFeed({ limit: 100 })).items.length).toBeLessThanOrEqual(100);
      const malformed = [
        'garbage',
        Buffer.from('{"createdAt":"yesterday","id":"x"}').toString('base64url'),
        Buffer.from('[1,2]').toString('base64url'),
        `${encodeContinuation('2031-01-01T00:00:00.000000Z', randomUUID())}!`,
      ];
      for (const continuation of malformed) {
        await expect(repo.globalFeed({ limit: 5, continuation })).rejects.toEqual(
          appError('INVALID_CONTINUATION', 400),
        );
        await expect(repo.userPosts(randomUUID(), { limit: 5, continuation })).rejects.toEqual(
          appError('INVALID_CONTINUATION', 400),
        );
      }
    });
  });

  describe('comments', () => {
    it('builds threads by path and depth and reads them in path order with their counts', async () => {
      const author = await newUser();
      const voter = await newUser();
      const post = await newPost(author.id);
      const a = await newComment(post.id, author.id);
      const b = await newComment(post.id, author.id);
      const a1 = await newComment(post.id, author.id, a.id);
      const a2 = await newComment(post.id, author.id, a.id);
      const a1x = await newComment(post.id, author.id, a1.id);
      expect(a).toEqual(freshRootComment(a, post, author));
      expect(a1x).toMatchObject({ parentId: a1.id, path: `${a.id}/${a1.id}/${a1x.id}/`, depth: 2 });
      await voteOn(voter.id, 'comment', a1.id, post.id, 'wow');
      await voteOn(author.id, 'comment', a1.id, post.id, 'angry');

      const thread = await repo.commentThread(post.id);
      expect(thread.map((comment) => comment.id)).toEqual(
        [a, b, a1, a2, a1x].sort((x, y) => (x.path < y.path ? -1 : 1)).map((c) => c.id),
      );
      const byId = new Map(thread.map((comment) => [comment.id, comment]));
      expect(byId.get(a.id)).toEqual({ ...a, childCount: 2 });
      expect(byId.get(a1.id)).toEqual({
        ...a1,
        childCount: 1,
        voteCount: 2,
        voteCounts: { angry: 1, wow: 1 },
      });
      expect(byId.get(b.id)).toEqual(b);
      expect(await repo.commentThread(randomUUID())).toEqual([]);
      // The post counts every comment of it, replies too.
      expect((await repo.getPost(post.id))!.commentCount).toBe(5);

      const updatedAt = next();
      expect(await repo.updateComment(post.id, a2.id, { content: 'changed', updatedAt })).toEqual({
        ...a2,
        content: 'changed',
        updatedAt,
      });
    });

    it('orders a thread by bytes, whatever the column collation says', async () => {
      const author = await newUser();
      const post = await newPost(author.id);
      // A linguistic collation on the column (the real source's may be one): 'a' before 'B'.
      await sql(`ALTER TABLE comments ALTER COLUMN path TYPE varchar COLLATE "und-x-icu"`);
      try {
        for (const path of ['a/', 'B/', 'b/', 'A/']) {
          await sql(
            `INSERT INTO comments (id, post_id, content, user_id, path, depth) VALUES ($1, $2, 'c', $3, $4, 0)`,
            [randomUUID(), post.id, author.id, path],
          );
        }
        const linguistic = await sql<{ path: string }>(
          'SELECT path FROM comments WHERE post_id = $1 ORDER BY path',
          [post.id],
        );
        expect(linguistic.map((row) => row.path)).toEqual(['a/', 'A/', 'b/', 'B/']);
        // Byte order, as Cosmos orders strings.
        expect((await repo.commentThread(post.id)).map((comment) => comment.path)).toEqual([
          'A/',
          'B/',
          'a/',
          'b/',
        ]);
      } finally {
        await sql(`ALTER TABLE comments ALTER COLUMN path TYPE varchar COLLATE "default"`);
      }
    });

    it('names a missing post, parent, author or comment, and a duplicate id', async () => {
      const author = await newUser();
      const post = await newPost(author.id);
      const elsewhere = await newComment((await newPost(author.id)).id, author.id);
      await expect(newComment(randomUUID(), author.id)).rejects.toEqual(
        appError('APP_NOT_FOUND', 404),
      );
      await expect(newComment(post.id, randomUUID())).rejects.toEqual(
        appError('APP_NOT_FOUND', 404),
      );
      // A parent of another post is no parent here.
      await expect(newComment(post.id, author.id, elsewhere.id)).rejects.toEqual(
        appError('APP_NOT_FOUND', 404),
      );
      await expect(newComment(post.id, author.id, randomUUID())).rejects.toEqual(
        appError('APP_NOT_FOUND', 404),
      );
      await expect(
        repo.updateComment(post.id, elsewhere.id, { content: 'x', updatedAt: next() }),
      ).rejects.toEqual(appError('APP_NOT_FOUND', 404));
      await expect(repo.deleteComment(post.id, elsewhere.id)).rejects.toEqual(
        appError('APP_NOT_FOUND', 404),
      );
      const comment = await newComment(post.id, author.id);
      await expect(
        repo.createComment({ ...comment, content: 'again', createdAt: next() }),
      ).rejects.toEqual(appError('APP_CONFLICT', 409));
      expect(await repo.commentThread(post.id)).toEqual([comment]);
      expect(await repo.commentThread(elsewhere.postId)).toEqual([elsewhere]);
    });

    it('deletes a subtree and the votes on it, and nothing else', async () => {
      const author = await newUser();
      const voter = await newUser();
      const post = await newPost(author.id);
      const kept = await newComment(post.id, author.id);
      const root = await newComment(post.id, author.id);
      const reply = await newComment(post.id, author.id, root.id);
      const deeper = await newComment(post.id, author.id, reply.id);
      const keptReply = await newComment(post.id, author.id, kept.id);
      for (const comment of [root, deeper, kept])
        await voteOn(voter.id, 'comment', comment.id, post.id);

      await repo.deleteComment(post.id, reply.id);
      expect((await repo.commentThread(post.id)).map((c) => c.id).sort()).toEqual(
        [kept.id, keptReply.id, root.id].sort(),
      );
      expect(await count('votes', 'target_id = $1', [deeper.id])).toBe(0);
      expect(await count('votes', 'target_id = $1', [root.id])).toBe(1);

      await repo.deleteComment(post.id, root.id);
      expect(await repo.commentThread(post.id)).toEqual(
        [{ ...kept, childCount: 1, voteCount: 1, voteCounts: { like: 1 } }, keptReply].sort(
          (x, y) => (x.path < y.path ? -1 : 1),
        ),
      );
      expect(await repo.voteSummary({ targetType: 'comment', targetId: root.id })).toEqual({
        total: 0,
        byType: {},
      });
      expect(await repo.userVote(voter.id, { targetType: 'comment', targetId: kept.id })).toEqual(
        expect.objectContaining({ voteType: 'like' }),
      );
      await expect(repo.deleteComment(post.id, root.id)).rejects.toEqual(
        appError('APP_NOT_FOUND', 404),
      );
    });

    it('matches the subtree by prefix, not by a LIKE pattern', async () => {
      const author = await newUser();
      const post = await newPost(author.id);
      const insert = async (path: string) => {
        const id = randomUUID();
        await sql(
          `INSERT INTO comments (id, post_id, content, user_id, path, depth) VALUES ($1, $2, 'c', $3, $4, 0)`,
          [id, post.id, author.id, path],
        );
        return id;
      };
      const wildcard = await insert('a_%/');
      const inside = await insert('a_%/x/');
      // 'a_%/' as a LIKE pattern would match both of these.
      const lookalikes = [await insert('ab%/'), await insert('a_zz/y/')];
      await repo.deleteComment(post.id, wildcard);
      expect(await count('comments', 'id = ANY($1::uuid[])', [[wildcard, inside]])).toBe(0);
      expect(await count('comments', 'id = ANY($1::uuid[])', [lookalikes])).toBe(2);
    });
  });

  describe('votes', () => {
    it('votes once per user and target, changes the type, sums and lists the votes', async () => {
      const author = await newUser();
      const post = await newPost(author.id);
      const voters = [await newUser(), await newUser(), await newUser()];
      const target = { targetType: 'post' as const, targetId: post.id };
      const createdAt = next();
      const rowId = randomUUID();
      const first = await repo.vote({
        ...target,
        id: rowId,
        userId: voters[0]!.id,
        voteType: 'like',
        createdAt,
      });
      expect(first).toEqual({ ...target, userId: voters[0]!.id, voteType: 'like', createdAt });
      // A change keeps the first vote's row id and created_at.
      const changed = await repo.vote({
        ...target,
        id: randomUUID(),
        userId: voters[0]!.id,
        voteType: 'wow',
        createdAt: next(),
      });
      expect(changed).toEqual({ ...first, voteType: 'wow' });
      expect(
        await sql('SELECT id, vote_type FROM votes WHERE user_id = $1 AND target_id = $2', [
          voters[0]!.id,
          post.id,
        ]),
      ).toEqual([{ id: rowId, vote_type: 'wow' }]);
      // The same vote again changes nothing.
      expect(
        await repo.vote({
          ...target,
          id: randomUUID(),
          userId: voters[0]!.id,
          voteType: 'wow',
          createdAt: next(),
        }),
      ).toEqual(changed);

      for (const [i, voter] of voters.slice(1).entries()) {
        await voteOn(voter.id, 'post', post.id, post.id, i === 0 ? 'angry' : 'wow');
      }
      const summary = await repo.voteSummary(target);
      expect(summary).toEqual({ total: 3, byType: { angry: 1, wow: 2 } });
      expect(Object.keys(summary.byType)).toEqual(['angry', 'wow']);
      const listed = await repo.targetVotes(target);
      expect(listed.map((vote) => vote.userId)).toEqual(voters.map((v) => v.id).sort());
      expect(listed.find((vote) => vote.userId === voters[0]!.id)).toEqual(changed);
      expect(await repo.userVote(voters[0]!.id, target)).toEqual(changed);
      expect(await repo.userVote(author.id, target)).toBeNull();
      // The same user's vote on the post and on a comment are two votes.
      const comment = await newComment(post.id, author.id);
      await voteOn(voters[0]!.id, 'comment', comment.id, post.id, 'love');
      expect(await repo.userVote(voters[0]!.id, target)).toEqual(changed);
      expect((await repo.getPost(post.id))!.voteCounts).toEqual({ angry: 1, wow: 2 });
    });

    it('removes a vote, and nothing when there is none', async () => {
      const author = await newUser();
      const post = await newPost(author.id);
      const comment = await newComment(post.id, author.id);
      const target = { targetType: 'comment' as const, targetId: comment.id, postId: post.id };
      await voteOn(author.id, 'comment', comment.id, post.id);
      await voteOn(author.id, 'post', post.id, post.id);
      await repo.removeVote(author.id, target);
      expect(await repo.userVote(author.id, target)).toBeNull();
      expect(await repo.targetVotes(target)).toEqual([]);
      await repo.removeVote(author.id, target);
      // The vote on the post stays.
      expect(await repo.voteSummary({ targetType: 'post', targetId: post.id })).toEqual({
        total: 1,
        byType: { like: 1 },
      });
    });

    it('names a missing target or voter, and rejects a malformed target', async () => {
      const author = await newUser();
      const post = await newPost(author.id);
      const comment = await newComment(post.id, author.id);
      const vote = { id: randomUUID(), userId: author.id, voteType: 'like', createdAt: next() };
      await expect(
        repo.vote({ ...vote, targetType: 'post', targetId: randomUUID() }),
      ).rejects.toEqual(appError('APP_NOT_FOUND', 404));
      await expect(
        repo.vote({ ...vote, targetType: 'comment', targetId: comment.id, postId: randomUUID() }),
      ).rejects.toEqual(appError('APP_NOT_FOUND', 404));
      await expect(
        repo.vote({ ...vote, userId: randomUUID(), targetType: 'post', targetId: post.id }),
      ).rejects.toEqual(appError('APP_NOT_FOUND', 404));
      await expect(
        repo.vote({ ...vote, targetType: 'comment', targetId: comment.id }),
      ).rejects.toEqual(appError('INVALID_ARGUMENTS', 400));
      await expect(
        repo.voteSummary({ targetType: 'user' as 'post', targetId: post.id }),
      ).rejects.toEqual(appError('INVALID_ARGUMENTS', 400));
      await expect(
        repo.userVote('nobody', { targetType: 'post', targetId: post.id }),
      ).rejects.toEqual(appError('INVALID_ARGUMENTS', 400));
      expect(await count('votes', 'target_id = ANY($1::uuid[])', [[post.id, comment.id]])).toBe(0);
    });
  });

  describe('transactions', () => {
    /** A trigger that fails the statement for one marked row: the failure half-way through a write. */
    const refuse = async (table: string, condition: string) => {
      const name = `refuse_${table}`;
      await sql(`CREATE OR REPLACE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'refused by the test'; END $$`);
      await sql(`CREATE TRIGGER ${name} BEFORE DELETE ON ${table} FOR EACH ROW
        WHEN (${condition}) EXECUTE FUNCTION ${name}()`);
      return () => sql(`DROP TRIGGER ${name} ON ${table}`);
    };

    it('rolls a failed deletion back whole and keeps the pool usable', async () => {
      const author = await newUser();
      const voter = await newUser();
      const post = await newPost(author.id, next(), 'undeletable');
      const root = await newComment(post.id, author.id);
      const reply = await newComment(post.id, author.id, root.id);
      await voteOn(voter.id, 'comment', reply.id, post.id);
      await voteOn(voter.id, 'post', post.id, post.id, 'undeletable');
      const before = {
        post: await repo.getPost(post.id),
        thread: await repo.commentThread(post.id),
      };

      // The post's own row is deleted last: its comments and their votes come back.
      const dropPostTrigger = await refuse('posts', `OLD.title = 'undeletable'`);
      try {
        await expect(repo.deletePost(post.id)).rejects.toThrow('refused by the test');
      } finally {
        await dropPostTrigger();
      }
      expect({
        post: await repo.getPost(post.id),
        thread: await repo.commentThread(post.id),
      }).toEqual(before);

      // The subtree's votes are deleted after the comments: the comments come back.
      const dropVoteTrigger = await refuse('votes', `OLD.vote_type = 'like'`);
      try {
        await expect(repo.deleteComment(post.id, root.id)).rejects.toThrow('refused by the test');
      } finally {
        await dropVoteTrigger();
      }
      expect(await repo.commentThread(post.id)).toEqual(before.thread);
      // Every client went back to the pool outside a transaction.
      const clients = await Promise.all(Array.from({ length: 6 }, () => pool.connect()));
      try {
        for (const client of clients) {
          expect(
            (await client.query('SELECT now() = statement_timestamp() AS fresh')).rows,
          ).toEqual([{ fresh: true }]);
        }
      } finally {
        for (const client of clients) client.release();
      }
      await repo.deletePost(post.id);
      expect(await repo.getPost(post.id)).toBeNull();
    });

    /** Until another session waits on a lock (what the test arranged next). */
    const waitForLockWaits = async (waiting: number) => {
      for (let i = 0; i < 200; i++) {
        const [{ n }] = (await sql<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity
           WHERE datname = current_database() AND wait_event_type = 'Lock'`,
        )) as [{ n: number }];
        if (n >= waiting) return;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      throw new Error(`fewer than ${waiting} sessions ever waited on a lock`);
    };

    it('takes a reply and a vote that commit while a subtree deletion waits for them', async () => {
      const author = await newUser();
      const voter = await newUser();
      const post = await newPost(author.id);
      const root = await newComment(post.id, author.id);
      const holder = await pool.connect();
      try {
        // A reply in flight: its foreign key holds the parent, as the application's insert does.
        await holder.query('BEGIN');
        const replyId = randomUUID();
        await holder.query(
          `INSERT INTO comments (id, post_id, content, user_id, parent_id, path, depth)
           VALUES ($1, $2, 'late reply', $3, $4, $5, 1)`,
          [replyId, post.id, author.id, root.id, `${root.path}${replyId}/`],
        );
        // A vote in flight: it holds the comment and waits on its voter, whom the holder locks.
        await holder.query('SELECT 1 FROM users WHERE id = $1 FOR UPDATE', [voter.id]);
        const vote = voteOn(voter.id, 'comment', root.id, post.id);
        await waitForLockWaits(1);
        const deletion = repo.deleteComment(post.id, root.id);
        await waitForLockWaits(2);
        await holder.query('COMMIT');
        await expect(vote).resolves.toMatchObject({ targetId: root.id });
        await deletion;
        expect(await count('comments', 'id = ANY($1::uuid[])', [[root.id, replyId]])).toBe(0);
        expect(await count('votes', 'target_id = $1', [root.id])).toBe(0);
      } finally {
        await holder.query('ROLLBACK').catch(() => undefined);
        holder.release();
      }
    });

    it('turns away a vote that waited for a post deletion', async () => {
      const author = await newUser();
      const voter = await newUser();
      const post = await newPost(author.id);
      const comment = await newComment(post.id, author.id);
      await voteOn(author.id, 'post', post.id, post.id);
      const holder = await pool.connect();
      try {
        // The holder stops the deletion at the post's votes, after it has deleted the comments.
        await holder.query('BEGIN');
        await holder.query('SELECT 1 FROM votes WHERE target_id = $1 FOR UPDATE', [post.id]);
        const deletion = repo.deletePost(post.id);
        await waitForLockWaits(1);
        const vote = voteOn(voter.id, 'comment', comment.id, post.id);
        await waitForLockWaits(2);
        await holder.query('COMMIT');
        await deletion;
        await expect(vote).rejects.toEqual(appError('APP_NOT_FOUND', 404));
        expect(await count('votes', 'target_id = ANY($1::uuid[])', [[post.id, comment.id]])).toBe(
          0,
        );
      } finally {
        await holder.query('ROLLBACK').catch(() => undefined);
        holder.release();
      }
    });
  });

  it('returns UTC timestamps whatever the session time zone and type parsers', async () => {
    const author = await newUser();
    const post = await newPost(author.id, '2031-06-01T23:59:59Z');
    expect(post.createdAt).toBe('2031-06-01T23:59:59.000000Z');
    const comment = await newComment(post.id, author.id);
    // A plain pool: timestamps would come as Dates, and the session is in India (+05:30).
    const plain = new pg.Pool({
      connectionString: url,
      max: 1,
      options: '-c TimeZone=Asia/Kolkata',
    });
    try {
      expect((await plain.query('SHOW TimeZone')).rows).toEqual([{ TimeZone: 'Asia/Kolkata' }]);
      const other = new PostgresAppRepository(plain);
      expect(await other.getUser(author.id)).toEqual(author);
      expect(await other.getPost(post.id)).toEqual({ ...post, commentCount: 1 });
      expect(await other.commentThread(post.id)).toEqual([comment]);
      const updatedAt = next();
      expect(await other.updatePost(post.id, { title: 'x', updatedAt })).toMatchObject({
        updatedAt,
      });
      expect((await repo.getPost(post.id))!.updatedAt).toBe(updatedAt);
    } finally {
      await plain.end();
    }
  });
});
