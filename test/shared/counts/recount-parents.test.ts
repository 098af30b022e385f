import { randomUUID } from 'node:crypto';
import { Container } from '@azure/cosmos';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalEngine } from '../../../src/cli/local-engine';
import { CosmosCountsStore } from '../../../src/shared/counts/cosmos-counts-store';
import {
  COUNTS_FAILURE_PK,
  CountsFailureRecord,
  CountsStore,
} from '../../../src/shared/counts/counts-store';
import { dirtyParents, ParentRef } from '../../../src/shared/counts/parents';
import { recountParents } from '../../../src/shared/counts/recount-parents';
import { startMigration } from '../../../src/shared/migration/start-migration';
import { seedSource } from '../../../src/shared/source/seed';
import { tombstoneFor } from '../../../src/shared/sync/tombstones';
import { deliver, Doc, independentRecount, rng, sum, withoutSystem } from '../../support/counts';
import { createWorld, TestWorld } from '../../support/engine';

const stamp = (n: number) =>
  `2031-01-01T00:${String(Math.floor(n / 60) % 60).padStart(2, '0')}:${String(n % 60).padStart(2, '0')}.${String(n % 1_000_000).padStart(6, '0')}Z`;

describe('recounting parents from changed comments, votes and tombstones', () => {
  let world: TestWorld;
  let engine: LocalEngine;
  let store: CosmosCountsStore;
  let containers: Record<string, Container>;
  const changes: Doc[] = [];
  let clock = 0;

  const write = async (container: string, document: Record<string, unknown>) => {
    const { resource } = await containers[container]!.items.upsert(document);
    changes.push(withoutSystem(resource as Record<string, unknown>));
  };
  /** As the application's data access deletes: the document and its tombstone in one batch. */
  const remove = async (container: string, document: Doc) => {
    const tombstone = tombstoneFor(document, 3600)!;
    const responses = await containers[container]!.items.batch(
      [
        { operationType: 'Delete', id: document.id },
        { operationType: 'Upsert', resourceBody: tombstone as never },
      ],
      document.pk,
    );
    expect(responses.result?.map((r) => r.statusCode)).toEqual([204, 201]);
    changes.push(tombstone as Doc);
  };

  beforeAll(async () => {
    world = await createWorld('counts_recount');
    await seedSource(world.source, { users: 100, seed: 11 });
    engine = world.engine();
    await startMigration(engine, { batchSize: 500 });
    await engine.localQueue.idle();
    const db = world.cosmos.database(world.database);
    containers = Object.fromEntries(
      ['users', 'posts', 'comments', 'votes', 'migration'].map((name) => [
        name,
        db.container(name),
      ]),
    );
    store = new CosmosCountsStore(world.cosmos, world.database);
  });

  afterAll(() => world?.close());

  it('starts from a migration whose counts are exact', async () => {
    const { expected, actual } = await independentRecount(containers);
    expect(expected.size).toBeGreaterThan(50);
    expect(actual).toEqual(expected);
  });

  it('after app writes (comments, replies, votes, flips, deletions) delivered duplicated and reordered, every count equals a recount', async () => {
    const random = rng(12);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const all = async (name: string, type: string) =>
      (
        await containers[name]!.items.query<Doc>({
          query: 'SELECT * FROM c WHERE c.type = @type',
          parameters: [{ name: '@type', value: type }],
        }).fetchAll()
      ).resources.map(withoutSystem);
    const posts = (await all('posts', 'post')).slice(0, 25);
    const comments = await all('comments', 'comment');
    const votes = await all('votes', 'vote');
    const users = await all('users', 'user');
    expect(posts.length).toBeGreaterThan(5);

    // New root comments and replies (to existing and to new comments) on several posts.
    const added: Doc[] = [];
    for (let i = 0; i < 150; i++) {
      const post = pick(posts);
      const siblings = [...comments, ...added].filter((c) => c.postId === post.id);
      const parent = siblings.length > 0 && random() < 0.6 ? pick(siblings) : undefined;
      const author = pick(users);
      const id = randomUUID();
      const comment = {
        id,
        pk: `post:${post.id}`,
        type: 'comment',
        postId: post.id,
        postPk: post.pk,
        content: `app comment ${i}`,
        author: { id: author.id, username: author.username, displayName: author.username },
        threading: {
          parentId: parent?.id ?? null,
          path: `${parent?.threading.path ?? ''}${id}/`,
          depth: parent ? parent.threading.depth + 1 : 0,
          childCount: 0,
        },
        engagement: { voteCount: 0, voteCounts: {} },
        sentiment: null,
        moderation: { isBlocked: false, toxicityTags: [], scores: null },
        timestamps: { createdAt: stamp(++clock), updatedAt: stamp(clock) },
      };
      await write('comments', comment);
      added.push(comment as Doc);
    }

    // New votes on posts and comments (old and new), then flips of some of them.
    const newVotes: Doc[] = [];
    for (let i = 0; i < 200; i++) {
      const onPost = random() < 0.4;
      const target = onPost ? pick(posts) : pick([...comments, ...added]);
      const user = pick(users);
      const targetType = onPost ? 'post' : 'comment';
      const vote = {
        id: `vote_${user.id}_${target.id}_${targetType}`,
        pk: `target:${target.id}`,
        type: 'vote',
        sourceId: randomUUID(),
        userId: user.id,
        targetId: target.id,
        targetType,
        voteType: pick(['upvote', 'downvote', 'laugh']),
        targetPk: target.pk,
        user: { username: user.username, displayName: user.username },
        timestamps: { createdAt: stamp(++clock) },
      };
      await write('votes', vote);
      newVotes.push(vote as Doc);
    }
    for (const vote of [...newVotes.slice(0, 40), ...votes.slice(0, 20)]) {
      const flipped = vote.voteType === 'downvote' ? 'upvote' : 'downvote';
      await write('votes', { ...vote, voteType: flipped });
    }

    // Deletions with tombstones: leaf comments (new and migrated) and votes.
    const parentIds = new Set([...comments, ...added].map((c) => c.threading.parentId));
    const leaves = [...added.slice(0, 60), ...comments.slice(0, 60)].filter(
      (c) => !parentIds.has(c.id),
    );
    for (const leaf of leaves.slice(0, 30)) await remove('comments', leaf);
    const voteIds = new Set<string>();
    for (const vote of [...votes.slice(20, 50), ...newVotes.slice(100, 130)]) {
      if (voteIds.has(vote.id)) continue;
      voteIds.add(vote.id);
      const { resource } = await containers.votes!.item(vote.id, vote.pk).read<Doc>();
      await remove('votes', withoutSystem(resource!));
    }

    const before = await independentRecount(containers);
    expect(before.actual).not.toEqual(before.expected);

    const results = await deliver(store, changes, random, 100);
    expect(results.flatMap((r) => r.failed)).toEqual([]);
    expect(sum(results, 'writes')).toBeGreaterThan(0);
    expect(sum(results, 'recountRu')).toBeGreaterThan(0);
    expect(sum(results, 'writeRu')).toBeGreaterThan(0);
    const after = await independentRecount(containers);
    expect(after.actual).toEqual(after.expected);

    // Bounded by distinct parents, not by changes.
    for (const result of results) expect(result.parents).toBeLessThanOrEqual(3 * 100);
  });

  it('writes nothing when the same changes are delivered again', async () => {
    const results = await deliver(store, changes, rng(99), 100);
    expect(sum(results, 'parents')).toBeGreaterThan(0);
    expect(sum(results, 'writes')).toBe(0);
    expect(sum(results, 'writeRu')).toBe(0);
    expect(sum(results, 'recountRu')).toBeGreaterThan(0);
  });

  it('writes nothing for the echo of its own writes, nor for a change that moves no count', async () => {
    // The comments it patched come back through the comments feed.
    const { resources: echoed } = await containers
      .comments!.items.query<Doc>("SELECT * FROM c WHERE c.type = 'comment'")
      .fetchAll();
    const echo = await recountParents({ store }, echoed.map(withoutSystem), 'test');
    expect(echo.parents).toBeGreaterThan(0);
    expect(echo.writes).toBe(0);
    expect(echo.writeRu).toBe(0);

    // An edited comment's content changes no count.
    const edited = { ...echoed[0]!, content: 'edited by the app' };
    const { resource } = await containers.comments!.items.upsert(edited);
    const edit = await recountParents(
      { store },
      [withoutSystem(resource as unknown as Doc)],
      'test',
    );
    expect(edit.parents).toBe(dirtyParents([withoutSystem(resource as unknown as Doc)]).length);
    expect(edit.writes).toBe(0);
    expect(edit.unchanged + edit.missing).toBe(edit.parents);
  });

  it('does not let a recount patch a parent written since its read (412), and recounts afresh', async () => {
    const {
      resources: [post],
    } = await containers
      .posts!.items.query<Doc>("SELECT TOP 1 * FROM c WHERE c.type = 'post'")
      .fetchAll();
    const target = withoutSystem(post!);
    // The stored count is wrong, and another writer touches the post between read and patch.
    await containers
      .posts!.item(target.id, target.pk)
      .patch([{ op: 'set', path: '/engagement/commentCount', value: 9999 }]);
    let interfered = false;
    // The real store, with only the patch intercepted.
    const racing: CountsStore = Object.assign(Object.create(store) as CountsStore, {
      patchParent: async (ref: ParentRef, etag: string, set: Record<string, unknown>) => {
        if (!interfered) {
          interfered = true;
          await containers
            .posts!.item(target.id, target.pk)
            .patch([{ op: 'set', path: '/engagement/commentCount', value: 8888 }]);
        }
        return store.patchParent(ref, etag, set);
      },
    });
    const tombstone = {
      id: 'tombstone:x',
      pk: `post:${target.id}`,
      type: 'tombstone',
      deletedType: 'comment',
      deletedId: 'x',
      parentId: null,
      postPk: target.pk,
    };
    const result = await recountParents({ store: racing }, [tombstone], 'test');
    expect(result.conflicts).toBe(1);
    expect(result.writes).toBe(1);
    expect(result.failed).toEqual([]);
    const { expected, actual } = await independentRecount(containers);
    expect(actual.get(`post|${target.id}`)).toEqual(expected.get(`post|${target.id}`));
  });

  it('records the parents a batch could not recount, and a later recount makes them right', async () => {
    const {
      resources: [post],
    } = await containers
      .posts!.items.query<Doc>("SELECT TOP 1 * FROM c WHERE c.type = 'post'")
      .fetchAll();
    const target = withoutSystem(post!);
    const user = randomUUID();
    const vote = {
      id: `vote_${user}_${target.id}_post`,
      pk: `target:${target.id}`,
      type: 'vote',
      sourceId: randomUUID(),
      userId: user,
      targetId: target.id,
      targetType: 'post',
      voteType: 'upvote',
      targetPk: target.pk,
      user: { username: 'someone', displayName: 'someone' },
      timestamps: { createdAt: stamp(++clock) },
    };
    const { resource } = await containers.votes!.items.upsert(vote);
    const failing: CountsStore = Object.assign(Object.create(store) as CountsStore, {
      tally: async (ref: ParentRef) => {
        if (ref.id === target.id)
          throw Object.assign(new Error('injected: tally refused'), { code: 503 });
        return store.tally(ref);
      },
    });
    const batch = [withoutSystem(resource as unknown as Doc), ...changes.slice(0, 20)];
    const result = await recountParents(
      { store: failing, maxAttempts: 3 },
      batch,
      'counts-from-votes',
    );
    expect(result.failed.map((f) => f.parent)).toEqual([
      { kind: 'post', id: target.id, pk: target.pk },
    ]);
    const { resources: records } = await containers
      .migration!.items.query<CountsFailureRecord>({
        query: "SELECT * FROM c WHERE c.pk = @pk AND c.type = 'countsFailure'",
        parameters: [{ name: '@pk', value: COUNTS_FAILURE_PK }],
      })
      .fetchAll();
    expect(records.map((r) => [r.parent, r.source, r.reason])).toEqual([
      [
        { kind: 'post', id: target.id, pk: target.pk },
        'counts-from-votes',
        'injected: tally refused',
      ],
    ]);
    const stale = await independentRecount(containers);
    expect(stale.actual.get(`post|${target.id}`)).not.toEqual(
      stale.expected.get(`post|${target.id}`),
    );

    // What a reconcile does with the record: recount that parent.
    const again = await recountParents(
      { store },
      [withoutSystem(resource as unknown as Doc)],
      'reconcile',
    );
    expect(again.writes).toBe(1);
    const fixed = await independentRecount(containers);
    expect(fixed.actual).toEqual(fixed.expected);
  });
});

describe('dirty parents of a batch', () => {
  it('collapses duplicates and maps comments, votes and tombstones to their parents', () => {
    const comment = {
      id: 'c2',
      pk: 'post:p1',
      type: 'comment',
      postId: 'p1',
      postPk: 'user:u1',
      threading: { parentId: 'c1' },
    };
    const vote = {
      id: 'vote_u_c1_comment',
      pk: 'target:c1',
      type: 'vote',
      targetId: 'c1',
      targetType: 'comment',
      targetPk: 'post:p1',
    };
    const orphan = { ...vote, id: 'x', targetId: 'gone', targetPk: null };
    const tombstone = {
      id: 'tombstone:c3',
      pk: 'post:p2',
      type: 'tombstone',
      deletedType: 'comment',
      deletedId: 'c3',
      parentId: null,
      postPk: 'user:u2',
    };
    expect(dirtyParents([comment, vote, comment, orphan, tombstone, vote])).toEqual([
      { kind: 'post', id: 'p1', pk: 'user:u1' },
      { kind: 'comment', id: 'c1', pk: 'post:p1' },
      { kind: 'comment', id: 'c2', pk: 'post:p1' },
      { kind: 'post', id: 'p2', pk: 'user:u2' },
    ]);
  });
});
