import { randomUUID } from 'node:crypto';
import { Container } from '@azure/cosmos';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CosmosCountsStore } from '../../../src/shared/counts/cosmos-counts-store';
import { CountsStore } from '../../../src/shared/counts/counts-store';
import { ParentRef } from '../../../src/shared/counts/parents';
import { reconcileCounts } from '../../../src/shared/counts/reconcile-counts';
import { startMigration } from '../../../src/shared/migration/start-migration';
import { seedSource } from '../../../src/shared/source/seed';
import { createWorld, TestWorld } from '../../support/engine';

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const HOUR = 3600;

describe('counts-reconcile: recorded failures and recent changes recounted', () => {
  let world: TestWorld;
  let store: CosmosCountsStore;
  let posts: Container;
  let votes: Container;
  let comments: Container;
  let somePosts: Doc[];

  const failureRecords = async () =>
    (
      await world.cosmos
        .database(world.database)
        .container('migration')
        .items.query<Doc>("SELECT * FROM c WHERE c.pk = 'counts' AND c.type = 'countsFailure'")
        .fetchAll()
    ).resources;

  /** A post's counts as its children say, tombstones out, and as the post holds them. */
  const countsOf = async (post: Doc) => {
    const [{ resources: mine }, { resources: votesOn }, { resource: stored }] = await Promise.all([
      comments.items
        .query<Doc>({
          query: "SELECT c.id FROM c WHERE c.type = 'comment' AND c.postId = @id",
          parameters: [{ name: '@id', value: post.id }],
        })
        .fetchAll(),
      votes.items
        .query<Doc>({
          query:
            "SELECT c.voteType FROM c WHERE c.type = 'vote' AND c.targetType = 'post' AND c.targetId = @id",
          parameters: [{ name: '@id', value: post.id }],
        })
        .fetchAll(),
      posts.item(post.id, post.pk).read<Doc>(),
    ]);
    const voteCounts: Record<string, number> = {};
    for (const vote of votesOn) voteCounts[vote.voteType] = (voteCounts[vote.voteType] ?? 0) + 1;
    const { commentCount, voteCount, voteCounts: storedCounts } = stored!.engagement;
    return {
      expected: { commentCount: mine.length, voteCount: votesOn.length, voteCounts },
      actual: { commentCount, voteCount, voteCounts: storedCounts },
    };
  };

  const refOf = (post: Doc): ParentRef => ({ kind: 'post', id: post.id, pk: post.pk });

  beforeAll(async () => {
    world = await createWorld('counts_reconcile');
    await seedSource(world.source, { users: 40, seed: 21 });
    const engine = world.engine();
    await startMigration(engine, { batchSize: 500 });
    await engine.localQueue.idle();
    const db = world.cosmos.database(world.database);
    posts = db.container('posts');
    votes = db.container('votes');
    comments = db.container('comments');
    store = new CosmosCountsStore(world.cosmos, world.database);
    somePosts = (
      await posts.items.query<Doc>("SELECT TOP 3 * FROM c WHERE c.type = 'post'").fetchAll()
    ).resources;
    expect(somePosts).toHaveLength(3);
  });

  afterAll(() => world?.close());

  it('recounts a recorded parent and a parent whose new vote no function saw, then clears the record', async () => {
    const [recorded, unseen] = somePosts;
    // A batch that failed: its parent is wrong and recorded as failed by the function.
    await posts
      .item(recorded!.id, recorded!.pk)
      .patch([{ op: 'set', path: '/engagement/commentCount', value: 9999 }]);
    await store.recordFailures([
      {
        id: `countsFailure:post:${recorded!.id}`,
        pk: 'counts',
        type: 'countsFailure',
        parent: refOf(recorded!),
        source: 'counts-from-comments',
        code: 'COUNTS_RECOUNT_FAILED',
        reason: 'injected',
        recordedAt: new Date().toISOString(),
      },
    ]);
    // A vote written by the application whose feed batch was lost: nothing recorded it.
    const user = randomUUID();
    await votes.items.create({
      id: `vote_${user}_${unseen!.id}_post`,
      pk: `target:${unseen!.id}`,
      type: 'vote',
      sourceId: randomUUID(),
      userId: user,
      targetId: unseen!.id,
      targetType: 'post',
      voteType: 'wow',
      targetPk: unseen!.pk,
      user: { username: 'someone', displayName: 'someone' },
      timestamps: { createdAt: '2031-01-01T00:00:00.000000Z' },
    });
    for (const post of [recorded!, unseen!]) {
      const { expected, actual } = await countsOf(post);
      expect(actual).not.toEqual(expected);
    }

    const result = await reconcileCounts({ store }, { windowSeconds: HOUR });
    expect(result.failed).toEqual([]);
    expect(result.failuresCleared).toBe(1);
    expect(result.changedDocuments).toBeGreaterThan(0);
    expect(result.writes).toBeGreaterThanOrEqual(2);
    for (const post of [recorded!, unseen!]) {
      const { expected, actual } = await countsOf(post);
      expect(actual).toEqual(expected);
    }
    expect(await failureRecords()).toEqual([]);

    const again = await reconcileCounts({ store }, { windowSeconds: HOUR });
    expect(again.writes).toBe(0);
    expect(again.writeRu).toBe(0);
    expect(again.parents).toBeGreaterThan(0);
  });

  it('keeps the record of a parent that still fails, and one recorded again since it was listed', async () => {
    const [, , stuck] = somePosts;
    const record = {
      id: `countsFailure:post:${stuck!.id}`,
      pk: 'counts' as const,
      type: 'countsFailure' as const,
      parent: refOf(stuck!),
      source: 'counts-from-votes',
      code: 'COUNTS_RECOUNT_FAILED',
      reason: 'injected',
      recordedAt: new Date().toISOString(),
    };
    await store.recordFailures([record]);
    const failing: CountsStore = Object.assign(Object.create(store) as CountsStore, {
      tally: async (ref: ParentRef) => {
        if (ref.id === stuck!.id) throw new Error('injected: still refused');
        return store.tally(ref);
      },
    });
    const result = await reconcileCounts(
      { store: failing },
      { windowSeconds: 0, now: () => new Date(Date.now() + HOUR * 1000) },
    );
    expect(result.changedDocuments).toBe(0);
    expect(result.failuresKept).toBe(1);
    expect(result.failed.map((f) => f.parent.id)).toEqual([stuck!.id]);
    const kept = await failureRecords();
    expect(kept.map((r) => [r.parent.id, r.source, r.reason])).toEqual([
      [stuck!.id, 'counts-reconcile', 'injected: still refused'],
    ]);

    // Listed, then recorded again by a function before the reconcile clears it: it stays.
    const [listed] = await store.listFailures(10);
    await store.recordFailures([{ ...record, recordedAt: new Date().toISOString() }]);
    await store.clearFailure(listed!);
    expect(await failureRecords()).toHaveLength(1);
    // Cleared once it recounts cleanly.
    const settled = await reconcileCounts(
      { store },
      { windowSeconds: 0, now: () => new Date(Date.now() + HOUR * 1000) },
    );
    expect(settled).toMatchObject({ failuresCleared: 1, failuresKept: 0, failed: [] });
    expect(await failureRecords()).toEqual([]);
  });
});
