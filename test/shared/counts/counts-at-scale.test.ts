import { randomUUID } from 'node:crypto';
import { Container } from '@azure/cosmos';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalEngine } from '../../../src/cli/local-engine';
import { mapConcurrent } from '../../../src/shared/concurrency/limits';
import { CosmosCountsStore } from '../../../src/shared/counts/cosmos-counts-store';
import { dirtyParents } from '../../../src/shared/counts/parents';
import { EntityName } from '../../../src/shared/entities/entity';
import { entityModule } from '../../../src/shared/entities/registry';
import { getRun } from '../../../src/shared/migration/run-queries';
import { startMigration } from '../../../src/shared/migration/start-migration';
import { transformBatch } from '../../../src/shared/migration/transform-batch';
import { seedSource } from '../../../src/shared/source/seed';
import { tombstoneFor } from '../../../src/shared/sync/tombstones';
import { startValidation } from '../../../src/shared/validation/start-validation';
import { getValidation } from '../../../src/shared/validation/validation-queries';
import { deliver, Doc, independentRecount, rng, sum, withoutSystem } from '../../support/counts';
import { createWorld, TestWorld } from '../../support/engine';

/** Distinct, increasing source timestamps after the seeded data (microseconds, as PostgreSQL keeps them). */
const stamp = (n: number) => new Date(Date.UTC(2031, 0, 1) + n * 1000).toISOString();

const VOTE_TYPES = ['like', 'love', 'laugh', 'wow', 'sad', 'angry'];

/** The entries of a recount that differ from the stored values, for a readable failure. */
function mismatches(recount: Awaited<ReturnType<typeof independentRecount>>) {
  const wrong: Record<string, unknown> = {};
  for (const [key, expected] of recount.expected) {
    const actual = recount.actual.get(key);
    if (JSON.stringify(sortKeys(actual)) !== JSON.stringify(sortKeys(expected)))
      wrong[key] = { actual, expected };
  }
  return wrong;
}

function sortKeys(value: unknown): unknown {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => [k, sortKeys(v)]),
  );
}

interface CommentNode {
  id: string;
  postId: string;
  path: string;
  depth: number;
}

describe('counts at scale: thousands of app writes delivered duplicated and reordered', () => {
  let world: TestWorld;
  let engine: LocalEngine;
  let store: CosmosCountsStore;
  let containers: Record<string, Container>;
  /** Every document written into Cosmos as the app would (as written), and every tombstone. */
  const deliveries: Doc[] = [];
  /** Source changes by kind, and the posts they touch. */
  const changes: Record<string, number> = {};
  const touchedPosts = new Set<string>();
  const count = (kind: string, n: number) => (changes[kind] = (changes[kind] ?? 0) + n);

  /** The project's own extraction of these rows, as the application's write path would build them. */
  const extract = async (name: EntityName, ids: readonly string[]): Promise<Doc[]> => {
    const entity = entityModule(name);
    const documents: Doc[] = [];
    for (let i = 0; i < ids.length; i += 500) {
      const rows = await engine.source.readRows(entity, ids.slice(i, i + 500));
      const transformed = transformBatch(entity, rows);
      expect(transformed.rowErrors).toEqual([]);
      documents.push(...(JSON.parse(JSON.stringify(transformed.documents)) as Doc[]));
    }
    return documents;
  };

  /** Upserts the documents of these rows (comments or votes only: never their parents). */
  const mirror = async (name: 'comments' | 'votes', ids: readonly string[]) => {
    const documents = await extract(name, ids);
    expect(documents).toHaveLength(ids.length);
    await mapConcurrent(documents, 16, async (document) => {
      const { resource } = await containers[name]!.items.upsert(document);
      deliveries.push(withoutSystem(resource as unknown as Record<string, unknown>));
    });
  };

  /** As the application's data access deletes: the document and its tombstone in one batch. */
  const remove = async (name: 'comments' | 'votes', documents: readonly Doc[]) => {
    await mapConcurrent(documents, 16, async (document) => {
      const tombstone = tombstoneFor(document, 3600)!;
      const responses = await containers[name]!.items.batch(
        [
          { operationType: 'Delete', id: document.id },
          { operationType: 'Upsert', resourceBody: tombstone as never },
        ],
        document.pk,
      );
      expect(responses.result?.map((r) => r.statusCode)).toEqual([204, 201]);
      deliveries.push(tombstone as Doc);
    });
  };

  const sql = <T = Record<string, unknown>>(text: string, values: unknown[] = []) =>
    world.source.query(text, values).then((result) => result.rows as T[]);

  beforeAll(async () => {
    world = await createWorld('counts_scale');
    await seedSource(world.source, { users: 100, seed: 31 });
    engine = world.engine();
    const { runId } = await startMigration(engine, { batchSize: 500 });
    await engine.localQueue.idle();
    expect((await getRun(engine, runId)).status).toMatch(/^completed/);
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
    const recount = await independentRecount(containers);
    expect(recount.expected.size).toBeGreaterThan(200);
    expect(mismatches(recount)).toEqual({});
  });

  it('changes PostgreSQL, writes the same into Cosmos as the app would, and every count equals a recount once the feed drains', async () => {
    const random = rng(2024);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    let clock = 0;

    // Targets: posts and comments that the migration wrote (row errors have no document).
    const { resources: postDocs } = await containers
      .posts!.items.query<Doc>("SELECT c.id FROM c WHERE c.type = 'post'")
      .fetchAll();
    const posts = postDocs
      .map((p) => p.id)
      .sort()
      .slice(0, 120);
    expect(posts.length).toBeGreaterThanOrEqual(60);
    const { resources: commentDocs } = await containers
      .comments!.items.query<Doc>(
        "SELECT c.id, c.postId, c.threading FROM c WHERE c.type = 'comment'",
      )
      .fetchAll();
    const chosen = new Set(posts);
    const threads = new Map<string, CommentNode[]>(posts.map((id) => [id, []]));
    const migratedComments: CommentNode[] = [];
    for (const c of commentDocs.filter((c) => chosen.has(c.postId))) {
      const node = { id: c.id, postId: c.postId, path: c.threading.path, depth: c.threading.depth };
      threads.get(c.postId)!.push(node);
      migratedComments.push(node);
    }
    const users = (await sql<{ id: string }>('SELECT id FROM users ORDER BY id')).map((u) => u.id);

    // 1. New root comments and replies (to migrated and to new comments), in PostgreSQL.
    const newComments: CommentNode[] = [];
    const commentRows: Record<string, unknown>[] = [];
    for (let i = 0; i < 900; i++) {
      const postId = pick(posts);
      const siblings = threads.get(postId)!.filter((c) => c.depth < 10);
      const parent = siblings.length > 0 && random() < 0.6 ? pick(siblings) : undefined;
      const id = randomUUID();
      const node = {
        id,
        postId,
        path: `${parent?.path ?? ''}${id}/`,
        depth: parent ? parent.depth + 1 : 0,
      };
      threads.get(postId)!.push(node);
      newComments.push(node);
      // Some new comments are dated before the post's latest activity: not every one moves it.
      const at = random() < 0.2 ? '2020-06-01T00:00:00.000Z' : stamp(++clock);
      commentRows.push({
        id,
        post_id: postId,
        content: `app comment ${i}`,
        user_id: pick(users),
        parent_id: parent?.id ?? null,
        path: node.path,
        depth: node.depth,
        created_at: at,
        updated_at: at,
      });
    }
    await sql(
      `INSERT INTO comments (id, post_id, content, user_id, parent_id, path, depth, created_at, updated_at)
       SELECT id, post_id, content, user_id, parent_id, path, depth, created_at, updated_at
       FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, post_id uuid, content text, user_id uuid,
         parent_id uuid, path text, depth int, created_at timestamptz, updated_at timestamptz)`,
      [JSON.stringify(commentRows)],
    );
    count('comments inserted', newComments.length);
    count('of them replies', commentRows.filter((r) => r.parent_id !== null).length);
    for (const c of newComments) touchedPosts.add(c.postId);

    // 2. New votes on posts and comments (migrated and new), in PostgreSQL.
    const allComments = [...migratedComments, ...newComments];
    const voteRows = new Map<string, Record<string, unknown>>();
    for (let i = 0; i < 1250; i++) {
      const onPost = random() < 0.4;
      const target = onPost ? pick(posts) : pick(allComments).id;
      const targetType = onPost ? 'post' : 'comment';
      const userId = pick(users);
      voteRows.set(`${userId}|${target}|${targetType}`, {
        id: randomUUID(),
        user_id: userId,
        target_id: target,
        target_type: targetType,
        vote_type: pick(VOTE_TYPES),
        created_at: stamp(++clock),
      });
    }
    const insertedVotes = (
      await sql<{ id: string }>(
        `INSERT INTO votes (id, user_id, target_id, target_type, vote_type, created_at)
         SELECT id, user_id, target_id, target_type, vote_type, created_at
         FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, user_id uuid, target_id uuid,
           target_type text, vote_type text, created_at timestamptz)
         ON CONFLICT (user_id, target_id, target_type) DO NOTHING RETURNING id`,
        [JSON.stringify([...voteRows.values()])],
      )
    ).map((r) => r.id);
    expect(insertedVotes.length).toBeGreaterThan(1000);
    count('votes inserted', insertedVotes.length);

    // Mirrored into Cosmos: the comments and votes only (counts are the functions' job).
    await mirror(
      'comments',
      newComments.map((c) => c.id),
    );
    await mirror('votes', insertedVotes);

    // 3. Vote flips (the vote type changes, the vote stays), some flipped back again.
    const targetIds = [...posts, ...allComments.map((c) => c.id)];
    const votesOnTargets = await sql<{ id: string; vote_type: string; target_id: string }>(
      `SELECT v.id, v.vote_type, v.target_id FROM votes v
       WHERE v.target_id = ANY($1::uuid[]) AND v.user_id IS NOT NULL ORDER BY v.id`,
      [targetIds],
    );
    const flip = async (votes: { id: string; vote_type: string }[]) => {
      const flipped = votes.map((v) => ({
        id: v.id,
        vote_type: pick(VOTE_TYPES.filter((t) => t !== v.vote_type)),
      }));
      await sql(
        `UPDATE votes SET vote_type = x.vote_type
         FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, vote_type text) WHERE votes.id = x.id`,
        [JSON.stringify(flipped)],
      );
      await mirror(
        'votes',
        votes.map((v) => v.id),
      );
      for (const v of flipped) {
        const original = votesOnTargets.find((o) => o.id === v.id);
        if (original) original.vote_type = v.vote_type;
      }
      return flipped.length;
    };
    const toFlip = votesOnTargets.filter(() => random() < 0.25).slice(0, 700);
    count('vote flips', await flip(toFlip));
    count('vote flips', await flip(toFlip.filter(() => random() < 0.2)));

    // 4. Deletions: leaf comments with their votes, and single votes (documents read before).
    const leaves = await sql<{ id: string; post_id: string }>(
      `SELECT c.id, c.post_id FROM comments c WHERE c.post_id = ANY($1::uuid[])
         AND NOT EXISTS (SELECT 1 FROM comments r WHERE r.parent_id = c.id) ORDER BY c.id`,
      [posts],
    );
    const stored = new Set(allComments.map((c) => c.id));
    const doomedComments = leaves
      .filter((l) => stored.has(l.id))
      .filter(() => random() < 0.3)
      .slice(0, 250)
      .map((l) => l.id);
    const doomedCommentSet = new Set(doomedComments);
    // Their votes go too (there is no foreign key); one without a user never had a document.
    const votesOfDoomedRows = await sql<{ id: string; user_id: string | null }>(
      `SELECT id, user_id FROM votes WHERE target_type = 'comment' AND target_id = ANY($1::uuid[])
       ORDER BY id`,
      [doomedComments],
    );
    const votesOfDoomed = votesOfDoomedRows.map((r) => r.id);
    const doomedVotes = votesOnTargets
      .filter((v) => !doomedCommentSet.has(v.target_id))
      .filter(() => random() < 0.12)
      .slice(0, 500)
      .map((v) => v.id);
    const [commentDocsToDelete, voteDocsToDelete] = await Promise.all([
      extract('comments', doomedComments),
      extract('votes', [
        ...votesOfDoomedRows.filter((r) => r.user_id !== null).map((r) => r.id),
        ...doomedVotes,
      ]),
    ]);
    await sql('DELETE FROM votes WHERE id = ANY($1::uuid[])', [[...votesOfDoomed, ...doomedVotes]]);
    await sql('DELETE FROM comments WHERE id = ANY($1::uuid[])', [doomedComments]);
    count('comments deleted', doomedComments.length);
    count('votes deleted with their comment', votesOfDoomed.length);
    count('votes deleted', doomedVotes.length);
    await remove('votes', voteDocsToDelete);
    await remove('comments', commentDocsToDelete);
    for (const c of commentDocsToDelete) touchedPosts.add(c.postId);

    const total = Object.entries(changes)
      .filter(([kind]) => kind !== 'of them replies')
      .reduce((n, [, v]) => n + v, 0);
    for (const parent of dirtyParents(deliveries)) {
      if (parent.kind === 'post') touchedPosts.add(parent.id);
    }
    console.log('source changes', changes, 'total', total, 'posts touched', touchedPosts.size);
    expect(total).toBeGreaterThanOrEqual(3000);
    expect(touchedPosts.size).toBeGreaterThanOrEqual(50);
    expect(changes['of them replies']).toBeGreaterThan(300);

    const before = await independentRecount(containers);
    expect(Object.keys(mismatches(before)).length).toBeGreaterThan(50);

    const started = Date.now();
    const results = await deliver(store, deliveries, random, 100, { concurrency: 32 });
    console.log(
      `delivered ${deliveries.length} changes (+~30 % duplicates) in ${results.length} batches in ${Date.now() - started} ms:`,
      { parents: sum(results, 'parents'), writes: sum(results, 'writes') },
    );
    expect(results.flatMap((r) => r.failed)).toEqual([]);
    expect(sum(results, 'writes')).toBeGreaterThan(0);
    const after = await independentRecount(containers);
    expect(mismatches(after)).toEqual({});
  });

  it('a full validation against PostgreSQL, changed the same way, is ready', async () => {
    const { validationId } = await startValidation(engine, {
      mode: 'full',
      batchSize: 500,
      threshold: 0.99,
      trigger: 'manual',
    });
    await engine.localValidationQueue.idle();
    const summary = await getValidation(engine, validationId);
    const differences = Object.fromEntries(
      Object.entries(summary.entities).map(([entity, verdict]) => [entity, verdict.differences]),
    );
    expect(differences).toEqual(
      Object.fromEntries(Object.keys(summary.entities).map((e) => [e, []])),
    );
    expect(summary.totals.mismatched + summary.totals.missing + summary.totals.extra).toBe(0);
    expect(summary.status).toBe('completed');
    expect(summary.ready).toBe(true);
  });

  it('writes nothing when every change is delivered once more', async () => {
    const results = await deliver(store, deliveries, rng(77), 100, {
      duplicates: 0,
      concurrency: 32,
    });
    expect(results.flatMap((r) => r.failed)).toEqual([]);
    expect(sum(results, 'parents')).toBeGreaterThan(0);
    expect(sum(results, 'writes') + sum(results, 'writeRu')).toBe(0);
  });
});
