import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeContinuation } from '../../../src/shared/app-data/continuation';
import { CosmosAppRepository } from '../../../src/shared/app-data/cosmos-repository';
import { Post } from '../../../src/shared/app-data/model';
import { EntityName } from '../../../src/shared/entities/entity';
import { entityModule } from '../../../src/shared/entities/registry';
import { voteKey } from '../../../src/shared/entities/votes';
import { transformBatch } from '../../../src/shared/migration/transform-batch';
import { SourceReader } from '../../../src/shared/postgres/source-reader';
import { tombstoneFor } from '../../../src/shared/sync/tombstones';
import { appError, appFixtures, at, freshRootComment } from '../../support/app-data';
import { Doc, withoutSystem } from '../../support/counts';
import { createWorld, TestWorld } from '../../support/engine';

const TTL = 3600;

describe('the Cosmos adapter of the application repository', () => {
  let world: TestWorld;
  let repo: CosmosAppRepository;
  let reader: SourceReader;
  let n = 0;
  /** A fresh timestamp, later than every one before it. */
  const next = () => at(++n);

  beforeAll(async () => {
    world = await createWorld('app_cosmos');
    repo = new CosmosAppRepository(world.cosmos, world.database, { tombstoneTtlSeconds: TTL });
    reader = world.engine().source;
  });

  afterAll(() => world?.close());

  const container = (name: string) => world.cosmos.database(world.database).container(name);

  /** Every document of a container matching the condition, without system properties. */
  const documents = async (name: string, where = 'true', parameters: Record<string, string> = {}) =>
    (
      await container(name)
        .items.query<Doc>({
          query: `SELECT * FROM c WHERE ${where}`,
          parameters: Object.entries(parameters).map(([key, value]) => ({
            name: `@${key}`,
            value,
          })),
        })
        .fetchAll()
    ).resources
      .map(withoutSystem)
      .sort((a, b) => (`${a.pk}|${a.id}` < `${b.pk}|${b.id}` ? -1 : 1));

  /** What the migration writes for these source rows. */
  const migrated = async (name: EntityName, id: string) => {
    const entity = entityModule(name);
    const transformed = transformBatch(entity, await reader.readRows(entity, [id]));
    expect(transformed.rowErrors).toEqual([]);
    return (JSON.parse(JSON.stringify(transformed.documents)) as Doc[]).sort((a, b) =>
      `${a.pk}|${a.id}` < `${b.pk}|${b.id}` ? -1 : 1,
    );
  };

  const sql = (text: string, values: unknown[]) => world.source.query(text, values);

  const { newUser, newPost, newComment } = appFixtures(() => repo, next);

  const tombstoneOf = (deleted: Doc): Doc => ({
    ...tombstoneFor(deleted, TTL)!,
    deletedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/),
  });

  it('writes exactly the documents a migration of the same PostgreSQL rows writes', async () => {
    // Each write on both stores, as the PostgreSQL application makes it (column defaults and all).
    const alice = {
      id: randomUUID(),
      username: 'Alice / Ünïcode?#',
      email: 'alice+x@example.com',
      passwordHash: 'h1',
      createdAt: next(),
    };
    await repo.createUser(alice);
    await sql(
      'INSERT INTO users (id, username, email, password_hash, created_at) VALUES ($1, $2, $3, $4, $5)',
      [alice.id, alice.username, alice.email, alice.passwordHash, alice.createdAt],
    );
    const ownDocuments = `c.id = @id OR c.userId = @id`;
    expect(await documents('users', ownDocuments, { id: alice.id })).toEqual(
      await migrated('users', alice.id),
    );

    const post = {
      id: randomUUID(),
      authorId: alice.id,
      title: 'T',
      content: 'C "quoted"',
      createdAt: next(),
    };
    await repo.createPost(post);
    await sql(
      `INSERT INTO posts (id, title, content, author_id, author_username, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $6)`,
      [post.id, post.title, post.content, alice.id, alice.username, post.createdAt],
    );
    expect(await documents('posts', 'c.id = @id', { id: post.id })).toEqual(
      await migrated('posts', post.id),
    );

    const postUpdate = { title: 'T2', updatedAt: next() };
    await repo.updatePost(post.id, postUpdate);
    await sql('UPDATE posts SET title = $2, updated_at = $3 WHERE id = $1', [
      post.id,
      postUpdate.title,
      postUpdate.updatedAt,
    ]);
    expect(await documents('posts', 'c.id = @id', { id: post.id })).toEqual(
      await migrated('posts', post.id),
    );

    const root = await newComment(post.id, alice.id);
    const reply = await newComment(post.id, alice.id, root.id);
    for (const comment of [root, reply]) {
      await sql(
        `INSERT INTO comments (id, post_id, content, user_id, parent_id, path, depth, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)`,
        [
          comment.id,
          post.id,
          comment.content,
          alice.id,
          comment.parentId,
          comment.path,
          comment.depth,
          comment.createdAt,
        ],
      );
    }
    expect(reply).toMatchObject({ path: `${root.id}/${reply.id}/`, depth: 1, parentId: root.id });
    // The root's childCount is the counts function's to write; the reply has no children.
    const commentUpdate = { content: 'edited', updatedAt: next() };
    await repo.updateComment(post.id, reply.id, commentUpdate);
    await sql('UPDATE comments SET content = $2, updated_at = $3 WHERE id = $1', [
      reply.id,
      commentUpdate.content,
      commentUpdate.updatedAt,
    ]);
    expect(await documents('comments', 'c.id = @id', { id: reply.id })).toEqual(
      await migrated('comments', reply.id),
    );

    const bob = await newUser();
    await sql(
      'INSERT INTO users (id, username, email, password_hash, created_at) VALUES ($1, $2, $3, $4, $5)',
      [bob.id, bob.username, bob.email, `hash-of-${bob.username}`, bob.createdAt],
    );
    const castVote = async (targetType: 'post' | 'comment', targetId: string, voteType: string) => {
      const vote = { id: randomUUID(), userId: bob.id, voteType, createdAt: next() };
      await repo.vote({ ...vote, targetType, targetId, postId: post.id });
      await sql(
        `INSERT INTO votes (id, user_id, target_id, target_type, vote_type, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (user_id, target_id, target_type) DO UPDATE SET vote_type = EXCLUDED.vote_type`,
        [vote.id, bob.id, targetId, targetType, voteType, vote.createdAt],
      );
      const id = voteKey(bob.id, targetId, targetType);
      const { rows } = await sql(
        'SELECT id FROM votes WHERE user_id = $1 AND target_id = $2 AND target_type = $3',
        [bob.id, targetId, targetType],
      );
      expect(await documents('votes', 'c.id = @id', { id })).toEqual(
        await migrated('votes', (rows[0] as { id: string }).id),
      );
    };
    await castVote('post', post.id, 'like');
    // A changed vote keeps its row id (sourceId) and created_at.
    await castVote('post', post.id, 'love');
    await castVote('comment', reply.id, 'wow');

    const renamed = { username: 'alice-2', email: 'alice2@example.com', passwordHash: 'h2' };
    await repo.updateUser(alice.id, renamed);
    await sql('UPDATE users SET username = $2, email = $3, password_hash = $4 WHERE id = $1', [
      alice.id,
      renamed.username,
      renamed.email,
      renamed.passwordHash,
    ]);
    // The old lookups are gone, the new ones there.
    expect(await documents('users', ownDocuments, { id: alice.id })).toEqual(
      await migrated('users', alice.id),
    );
  });

  describe('users', () => {
    it('creates a user with its lookups and finds its credentials by username or e-mail', async () => {
      const user = await newUser('carol');
      expect(user).toEqual({
        id: user.id,
        username: 'carol',
        email: 'carol@example.com',
        createdAt: at(n),
      });
      expect(await repo.getUser(user.id)).toEqual(user);
      expect(await repo.getUser(user.id.toUpperCase())).toEqual(user);
      expect(await repo.getUser(randomUUID())).toBeNull();
      const credentials = { userId: user.id, passwordHash: 'hash-of-carol' };
      expect(await repo.findCredentials('carol')).toEqual(credentials);
      expect(await repo.findCredentials('carol@example.com')).toEqual(credentials);
      expect(await repo.findCredentials('Carol')).toBeNull();
      expect(await repo.findCredentials('nobody')).toBeNull();
      // Longer than any lookup id can be: no user has it.
      expect(await repo.findCredentials('x'.repeat(2000))).toBeNull();
    });

    it('refuses a taken username or e-mail and leaves no lookup behind', async () => {
      const taken = await newUser();
      const id = randomUUID();
      const attempt = (username: string, email: string) =>
        repo.createUser({ id, username, email, passwordHash: 'h', createdAt: next() });
      await expect(attempt(taken.username, 'fresh-1@example.com')).rejects.toEqual(
        appError('APP_CONFLICT', 409),
      );
      await expect(attempt('fresh-1', taken.email)).rejects.toEqual(appError('APP_CONFLICT', 409));
      // Neither the lookups it wrote before failing nor the taken ones' owners changed.
      expect(await documents('users', 'c.userId = @id OR c.id = @id', { id })).toEqual([]);
      expect(await repo.findCredentials(taken.username)).toMatchObject({ userId: taken.id });
      expect(await repo.findCredentials(taken.email)).toMatchObject({ userId: taken.id });
      // The same id again is a conflict too, and the first user keeps its lookups.
      await expect(
        repo.createUser({
          id: taken.id,
          username: 'fresh-2',
          email: 'fresh-2@example.com',
          passwordHash: 'h',
          createdAt: next(),
        }),
      ).rejects.toEqual(appError('APP_CONFLICT', 409));
      expect(await repo.findCredentials('fresh-2')).toBeNull();
      expect(await documents('users', 'c.id = @id', { id: 'username:fresh-2' })).toEqual([]);
    });

    it('completes a create that failed after writing its lookups', async () => {
      const id = randomUUID();
      const user = {
        id,
        username: 'dave',
        email: 'dave@example.com',
        passwordHash: 'h',
        createdAt: next(),
      };
      for (const key of ['username:dave', 'email:dave%40example.com']) {
        await container('users').items.create({
          id: key,
          pk: key,
          type: key.startsWith('username') ? 'usernameLookup' : 'emailLookup',
          userId: id,
        });
      }
      // Lookups of a user not yet written log no one in.
      expect(await repo.findCredentials('dave')).toBeNull();
      await expect(repo.createUser(user)).resolves.toMatchObject({ id, username: 'dave' });
      expect(await repo.findCredentials('dave')).toEqual({ userId: id, passwordHash: 'h' });
    });

    it('renames: the new name logs in, the old one is free; a taken name changes nothing', async () => {
      const user = await newUser();
      const other = await newUser();
      const renamed = await repo.updateUser(user.id, { username: `${user.username}-new` });
      expect(renamed).toEqual({ ...user, username: `${user.username}-new` });
      expect(await repo.findCredentials(user.username)).toBeNull();
      expect(await repo.findCredentials(renamed.username)).toMatchObject({ userId: user.id });
      expect(await repo.findCredentials(user.email)).toMatchObject({ userId: user.id });
      // The old name can be taken by someone else.
      await repo.updateUser(other.id, { username: user.username });
      expect(await repo.findCredentials(user.username)).toMatchObject({ userId: other.id });

      await expect(repo.updateUser(user.id, { email: other.email })).rejects.toEqual(
        appError('APP_CONFLICT', 409),
      );
      await expect(
        repo.updateUser(user.id, { username: 'not-taken', email: other.email }),
      ).rejects.toEqual(appError('APP_CONFLICT', 409));
      expect(await repo.getUser(user.id)).toEqual(renamed);
      expect(await repo.findCredentials('not-taken')).toBeNull();
      expect(await documents('users', 'c.id = @id', { id: 'username:not-taken' })).toEqual([]);

      await repo.updateUser(user.id, { passwordHash: 'new-hash' });
      expect(await repo.findCredentials(renamed.username)).toEqual({
        userId: user.id,
        passwordHash: 'new-hash',
      });
      await expect(repo.updateUser(randomUUID(), { username: 'x' })).rejects.toEqual(
        appError('APP_NOT_FOUND', 404),
      );
    });

    it('ignores a lookup whose user no longer holds it', async () => {
      const user = await newUser();
      await container('users').items.create({
        id: 'username:stale-name',
        pk: 'username:stale-name',
        type: 'usernameLookup',
        userId: user.id,
      });
      expect(await repo.findCredentials('stale-name')).toBeNull();
      // Its own user takes it back (a rename that had been interrupted, retried).
      await repo.updateUser(user.id, { username: 'stale-name' });
      expect(await repo.findCredentials('stale-name')).toMatchObject({ userId: user.id });
      expect(await repo.findCredentials(user.username)).toBeNull();
    });
  });

  describe('posts', () => {
    it('creates, reads and updates a post; counts are what the documents hold', async () => {
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
      expect(await repo.getPost(randomUUID())).toBeNull();

      // As a counts function would write them: keys come back sorted, a later activity stays.
      const pk = `user:${author.id}`;
      const lastActivityAt = at(10_000);
      await container('posts')
        .item(post.id, pk)
        .patch([
          { op: 'set', path: '/engagement/voteCounts', value: { wow: 1, like: 2 } },
          { op: 'set', path: '/engagement/voteCount', value: 3 },
          { op: 'set', path: '/engagement/lastActivityAt', value: lastActivityAt },
        ]);
      const updatedAt = next();
      const updated = await repo.updatePost(post.id, { content: 'new text', updatedAt });
      expect(updated).toEqual({
        ...post,
        content: 'new text',
        voteCount: 3,
        voteCounts: { like: 2, wow: 1 },
        updatedAt,
      });
      expect(Object.keys(updated.voteCounts)).toEqual(['like', 'wow']);
      const stored = await world.read<Doc>('posts', post.id, pk);
      expect(stored!.engagement.lastActivityAt).toBe(lastActivityAt);
      expect(stored!.moderation.reviewedAt).toBe(updatedAt);

      // Without a later activity, the update is the last activity.
      const quiet = await newPost(author.id);
      const quietUpdate = next();
      await repo.updatePost(quiet.id, { title: 'renamed', updatedAt: quietUpdate });
      const quietStored = await world.read<Doc>('posts', quiet.id, pk);
      expect(quietStored!.engagement.lastActivityAt).toBe(quietUpdate);
      expect(quietStored!.title).toBe('renamed');
    });

    it('names missing authors, posts and duplicates with their codes', async () => {
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
      await expect(
        repo.createPost({
          id: randomUUID(),
          authorId: author.id,
          title: 't',
          content: 'c',
          createdAt: 'yesterday',
        }),
      ).rejects.toEqual(appError('INVALID_ARGUMENTS', 400));
    });

    it('pages the feeds newest first by createdAt then id, with a continuation', async () => {
      const [first, second] = [await newUser(), await newUser()];
      const tie = next();
      for (const [i, author] of [first, second, first, second, first, second, first].entries()) {
        // Two pairs share a createdAt: the id decides.
        await newPost(author.id, i < 4 ? tie : next());
      }
      // A post without createdAt has no place in a feed.
      const undated = await newPost(first.id);
      await container('posts')
        .item(undated.id, `user:${first.id}`)
        .patch([{ op: 'set', path: '/timestamps/createdAt', value: null }]);

      const order = (posts: Doc[]) =>
        posts
          .filter((doc) => typeof doc.timestamps.createdAt === 'string')
          .sort((a, b) =>
            a.timestamps.createdAt !== b.timestamps.createdAt
              ? a.timestamps.createdAt < b.timestamps.createdAt
                ? 1
                : -1
              : a.id < b.id
                ? 1
                : -1,
          )
          .map((doc) => doc.id);
      const everyPost = await documents('posts', "c.type = 'post'");
      const pages = async (read: (continuation: string | null) => Promise<unknown>) => {
        const ids: string[] = [];
        let continuation: string | null = null;
        let count = 0;
        do {
          const page = (await read(continuation)) as { items: Post[]; continuation: string | null };
          expect(page.items.length).toBeLessThanOrEqual(3);
          if (page.continuation !== null) expect(page.items).toHaveLength(3);
          ids.push(...page.items.map((post) => post.id));
          continuation = page.continuation;
          count++;
        } while (continuation !== null && count < 100);
        return ids;
      };
      expect(await pages((c) => repo.globalFeed({ limit: 3, continuation: c }))).toEqual(
        order(everyPost),
      );
      const own = everyPost.filter((doc) => doc.pk === `user:${first.id}`);
      expect(await pages((c) => repo.userPosts(first.id, { limit: 3, continuation: c }))).toEqual(
        order(own),
      );
      expect(order(own)).toHaveLength(4);

      // An exactly full last page says there is no more.
      const page = await repo.userPosts(first.id, { limit: 4 });
      expect(page.items).toHaveLength(4);
      expect(page.continuation).toBeNull();
      const items = (await repo.userPosts(first.id, { limit: 1 })).items;
      expect(items[0]).toEqual(await repo.getPost(order(own)[0]!));
      expect(await repo.userPosts(randomUUID(), { limit: 10 })).toEqual({
        items: [],
        continuation: null,
      });

      // A position past every post: an empty last page.
      const past = encodeContinuation('0001-01-01T00:00:00.000000Z', '0');
      expect(await repo.globalFeed({ limit: 5, continuation: past })).toEqual({
        items: [],
        continuation: null,
      });
      for (const limit of [0, 101, 2.5]) {
        await expect(repo.globalFeed({ limit })).rejects.toEqual(
          appError('INVALID_ARGUMENTS', 400),
        );
      }
      await expect(repo.globalFeed({ limit: 5, continuation: 'garbage' })).rejects.toEqual(
        appError('INVALID_CONTINUATION', 400),
      );
    });
  });

  describe('comments', () => {
    it('builds threads by path and depth and reads them in path order', async () => {
      const author = await newUser();
      const post = await newPost(author.id);
      const a = await newComment(post.id, author.id);
      const b = await newComment(post.id, author.id);
      const a1 = await newComment(post.id, author.id, a.id);
      const a1x = await newComment(post.id, author.id, a1.id);
      const b1 = await newComment(post.id, author.id, b.id);
      expect(a).toEqual(freshRootComment(a, post, author));
      expect(a1x).toMatchObject({ parentId: a1.id, path: `${a.id}/${a1.id}/${a1x.id}/`, depth: 2 });
      const expected = [a, b, a1, a1x, b1].sort((x, y) => (x.path < y.path ? -1 : 1));
      expect(await repo.commentThread(post.id)).toEqual(expected);
      expect(await repo.commentThread(randomUUID())).toEqual([]);
      const stored = await world.read<Doc>('comments', a1.id, `post:${post.id}`);
      expect(stored!.postPk).toBe(`user:${author.id}`);

      const updatedAt = next();
      expect(await repo.updateComment(post.id, b1.id, { content: 'changed', updatedAt })).toEqual({
        ...b1,
        content: 'changed',
        updatedAt,
      });
    });

    it('names a missing post, parent, author or comment', async () => {
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
    });

    it('deletes a subtree and the votes on it, each with its tombstone', async () => {
      const author = await newUser();
      const voter = await newUser();
      const post = await newPost(author.id);
      const kept = await newComment(post.id, author.id);
      const root = await newComment(post.id, author.id);
      const reply = await newComment(post.id, author.id, root.id);
      const deeper = await newComment(post.id, author.id, reply.id);
      const keptReply = await newComment(post.id, author.id, kept.id);
      const voteOn = (targetId: string) =>
        repo.vote({
          id: randomUUID(),
          userId: voter.id,
          targetType: 'comment',
          targetId,
          postId: post.id,
          voteType: 'like',
          createdAt: next(),
        });
      for (const comment of [root, deeper, kept]) await voteOn(comment.id);
      const pk = `post:${post.id}`;
      const before = await documents('comments', 'c.pk = @pk', { pk });
      const votesBefore = await documents('votes', 'c.targetId IN (@a, @b)', {
        a: root.id,
        b: deeper.id,
      });
      expect(votesBefore).toHaveLength(2);

      await repo.deleteComment(post.id, root.id);
      const gone = before.filter((doc) => [root.id, reply.id, deeper.id].includes(doc.id));
      expect(await documents('comments', 'c.pk = @pk', { pk })).toEqual(
        before
          .filter((doc) => !gone.includes(doc))
          .concat(gone.map(tombstoneOf))
          .sort((a, b) => (a.id < b.id ? -1 : 1)),
      );
      for (const vote of votesBefore) {
        expect(await documents('votes', 'c.pk = @pk', { pk: vote.pk })).toEqual([
          tombstoneOf(vote),
        ]);
      }
      // Tombstones are in no read.
      expect(await repo.commentThread(post.id)).toEqual(
        [kept, keptReply].sort((x, y) => (x.path < y.path ? -1 : 1)),
      );
      expect(await repo.voteSummary({ targetType: 'comment', targetId: root.id })).toEqual({
        total: 0,
        byType: {},
      });
      expect(await repo.userVote(voter.id, { targetType: 'comment', targetId: kept.id })).toEqual(
        expect.objectContaining({ voteType: 'like' }),
      );
    });
  });

  describe('votes', () => {
    it('votes once per user and target, changes the type, sums and lists the votes', async () => {
      const author = await newUser();
      const post = await newPost(author.id);
      const voters = [await newUser(), await newUser(), await newUser()];
      const target = { targetType: 'post' as const, targetId: post.id };
      const createdAt = next();
      const first = await repo.vote({
        ...target,
        id: randomUUID(),
        userId: voters[0]!.id,
        voteType: 'like',
        createdAt,
      });
      expect(first).toEqual({ ...target, userId: voters[0]!.id, voteType: 'like', createdAt });
      const sourceId = (await world.read<Doc>(
        'votes',
        voteKey(voters[0]!.id, post.id, 'post'),
        `target:${post.id}`,
      ))!.sourceId;
      // A change keeps the first vote's id and createdAt.
      const changed = await repo.vote({
        ...target,
        id: randomUUID(),
        userId: voters[0]!.id,
        voteType: 'wow',
        createdAt: next(),
      });
      expect(changed).toEqual({ ...first, voteType: 'wow' });
      const stored = await world.read<Doc>(
        'votes',
        voteKey(voters[0]!.id, post.id, 'post'),
        `target:${post.id}`,
      );
      expect(stored).toMatchObject({ sourceId, voteType: 'wow', targetPk: `user:${author.id}` });
      // The same vote again changes nothing.
      const etag = (await container('votes').item(stored!.id, stored!.pk).read()).etag;
      await repo.vote({
        ...target,
        id: randomUUID(),
        userId: voters[0]!.id,
        voteType: 'wow',
        createdAt: next(),
      });
      expect((await container('votes').item(stored!.id, stored!.pk).read()).etag).toBe(etag);

      for (const [i, voter] of voters.slice(1).entries()) {
        await repo.vote({
          ...target,
          id: randomUUID(),
          userId: voter.id,
          voteType: i === 0 ? 'angry' : 'wow',
          createdAt: next(),
        });
      }
      const summary = await repo.voteSummary(target);
      expect(summary).toEqual({ total: 3, byType: { angry: 1, wow: 2 } });
      expect(Object.keys(summary.byType)).toEqual(['angry', 'wow']);
      const listed = await repo.targetVotes(target);
      expect(listed.map((vote) => vote.userId)).toEqual(voters.map((v) => v.id).sort());
      expect(await repo.userVote(voters[0]!.id, target)).toEqual(changed);
      expect(await repo.userVote(author.id, target)).toBeNull();
    });

    it('removes a vote with its tombstone, and nothing when there is none', async () => {
      const author = await newUser();
      const post = await newPost(author.id);
      const comment = await newComment(post.id, author.id);
      const target = { targetType: 'comment' as const, targetId: comment.id, postId: post.id };
      await repo.vote({
        ...target,
        id: randomUUID(),
        userId: author.id,
        voteType: 'like',
        createdAt: next(),
      });
      const pk = `target:${comment.id}`;
      const [vote] = await documents('votes', 'c.pk = @pk', { pk });
      expect(vote).toMatchObject({ targetPk: `post:${post.id}`, targetType: 'comment' });

      await repo.removeVote(author.id, target);
      expect(await documents('votes', 'c.pk = @pk', { pk })).toEqual([tombstoneOf(vote!)]);
      await repo.removeVote(author.id, target);
      expect(await documents('votes', 'c.pk = @pk', { pk })).toHaveLength(1);
      expect(await repo.userVote(author.id, target)).toBeNull();
      expect(await repo.targetVotes(target)).toEqual([]);
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
      expect(
        await documents('votes', 'c.targetId IN (@p, @c)', { p: post.id, c: comment.id }),
      ).toEqual([]);
    });
  });

  it('deletes a post with its comments and every vote on them, tombstones for all but the post', async () => {
    const author = await newUser();
    const voter = await newUser();
    const post = await newPost(author.id);
    const other = await newPost(author.id);
    const root = await newComment(post.id, author.id);
    const reply = await newComment(post.id, author.id, root.id);
    const survivor = await newComment(other.id, author.id);
    const vote = (targetType: 'post' | 'comment', targetId: string, postId: string) =>
      repo.vote({
        id: randomUUID(),
        userId: voter.id,
        targetType,
        targetId,
        postId,
        voteType: 'like',
        createdAt: next(),
      });
    await vote('post', post.id, post.id);
    await vote('comment', reply.id, post.id);
    await vote('post', other.id, other.id);
    await vote('comment', survivor.id, other.id);
    const comments = await documents('comments', 'c.pk = @pk', { pk: `post:${post.id}` });
    const votes = await documents('votes', 'c.targetId IN (@p, @c)', {
      p: post.id,
      c: reply.id,
    });
    expect([comments.length, votes.length]).toEqual([2, 2]);

    await repo.deletePost(post.id);
    expect(await repo.getPost(post.id)).toBeNull();
    expect(await documents('posts', 'c.id = @id', { id: post.id })).toEqual([]);
    expect(await documents('comments', 'c.pk = @pk', { pk: `post:${post.id}` })).toEqual(
      comments.map(tombstoneOf).sort((a, b) => (a.id < b.id ? -1 : 1)),
    );
    for (const deleted of votes) {
      expect(await documents('votes', 'c.pk = @pk', { pk: deleted.pk })).toEqual([
        tombstoneOf(deleted),
      ]);
    }
    // The other post keeps everything.
    expect(await repo.commentThread(other.id)).toEqual([survivor]);
    expect((await repo.voteSummary({ targetType: 'post', targetId: other.id })).total).toBe(1);
    expect((await repo.voteSummary({ targetType: 'comment', targetId: survivor.id })).total).toBe(
      1,
    );
    await expect(repo.deletePost(post.id)).rejects.toEqual(appError('APP_NOT_FOUND', 404));
  });
});
