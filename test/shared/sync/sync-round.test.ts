import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalEngine } from '../../../src/cli/local-engine';
import { TOMBSTONE_TYPE } from '../../../src/shared/entities/entity';
import { startMigration } from '../../../src/shared/migration/start-migration';
import { seedSource } from '../../../src/shared/source/seed';
import { catchUp } from '../../../src/shared/sync/catch-up';
import { runSyncRound } from '../../../src/shared/sync/run-round';
import { stopSync } from '../../../src/shared/sync/stop-sync';
import { syncStatus } from '../../../src/shared/sync/sync-status';
import { repairValidation } from '../../../src/shared/validation/repair';
import { runValidationInline } from '../../../src/shared/validation/run-inline';
import { DATA_CONTAINERS, freshExtraction, storedDocuments } from '../../support/documents';
import { createWorld, TestWorld } from '../../support/engine';

/** Source writes of every kind, as the application makes them while the load and sync run. */
async function writeTraffic(world: TestWorld, round: number): Promise<void> {
  const user = randomUUID();
  const post = randomUUID();
  const comment = randomUUID();
  // The test server commits asynchronously; decoding reads only flushed WAL, so these commits
  // wait for their flush as they would on a server with the default synchronous_commit.
  await world.source.query(`
    SET LOCAL synchronous_commit = on;
    INSERT INTO users (id, username, email, password_hash) VALUES ('${user}', 'traffic_${round}', 'traffic_${round}@example.org', 'x');
    INSERT INTO posts (id, title, content, author_id, author_username) VALUES ('${post}', 'p${round}', 'c', '${user}', 'traffic_${round}');
    INSERT INTO comments (id, post_id, content, user_id, path, depth) VALUES ('${comment}', '${post}', 'hi', '${user}', '${comment}/', 0);
    INSERT INTO votes (id, user_id, target_id, target_type, vote_type)
      SELECT gen_random_uuid(), u.id, '${post}', 'post', 'like' FROM (SELECT id FROM users ORDER BY id LIMIT 3 OFFSET ${round}) u;
    UPDATE votes SET vote_type = CASE WHEN vote_type = 'angry' THEN 'love' ELSE 'angry' END
      WHERE id = (SELECT id FROM votes ORDER BY id OFFSET ${round * 7} LIMIT 1);
    UPDATE posts SET title = title || ' (edited)', updated_at = now() WHERE id = (SELECT id FROM posts ORDER BY id OFFSET ${round} LIMIT 1);
    UPDATE users SET username = username || '_r${round}' WHERE id = (SELECT id FROM users ORDER BY id OFFSET ${round + 10} LIMIT 1);
    DELETE FROM votes WHERE id = (SELECT id FROM votes WHERE target_type = 'comment' ORDER BY id OFFSET ${round} LIMIT 1);
    DELETE FROM comments WHERE id = (SELECT c.id FROM comments c WHERE NOT EXISTS (SELECT 1 FROM comments k WHERE k.parent_id = c.id) ORDER BY c.id OFFSET ${round} LIMIT 1);
    UPDATE users SET email = 'moved_${round}_' || email WHERE id = (SELECT id FROM users ORDER BY id DESC OFFSET ${round} LIMIT 1);
    -- a leaf reply moves under another root of its post
    UPDATE comments c SET parent_id = r.id, path = r.path || c.id::text || '/', depth = 1
      FROM (SELECT c2.id AS child, r2.id, r2.path FROM comments c2
              JOIN comments r2 ON r2.post_id = c2.post_id AND r2.parent_id IS NULL AND r2.id <> c2.parent_id
            WHERE c2.parent_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM comments k WHERE k.parent_id = c2.id)
            ORDER BY c2.id OFFSET ${round} LIMIT 1) r
      WHERE c.id = r.child;
    -- a post changes author (its document moves partition; postPk and targetPk follow)
    UPDATE posts SET author_id = (SELECT id FROM users ORDER BY id OFFSET ${round + 3} LIMIT 1)
      WHERE id = (SELECT post_id FROM comments GROUP BY post_id ORDER BY post_id OFFSET ${round} LIMIT 1);
    -- a comment with its replies
    DELETE FROM comments WHERE id IN (WITH RECURSIVE t AS (
        SELECT id FROM comments WHERE id = (SELECT parent_id FROM comments WHERE parent_id IS NOT NULL ORDER BY parent_id DESC OFFSET ${round} LIMIT 1)
        UNION SELECT c.id FROM comments c JOIN t ON c.parent_id = t.id) SELECT id FROM t);
    -- a vote moves to another post
    UPDATE votes v SET target_id = p.id FROM (SELECT id FROM posts ORDER BY id DESC OFFSET ${round} LIMIT 1) p
      WHERE v.id = (SELECT id FROM votes o WHERE o.target_type = 'post' AND NOT EXISTS (
        SELECT 1 FROM votes x WHERE x.user_id = o.user_id AND x.target_id = (SELECT id FROM posts ORDER BY id DESC OFFSET ${round} LIMIT 1))
        ORDER BY id OFFSET ${round} LIMIT 1);`);
}

async function expectCosmosEqualsSource(world: TestWorld, engine: LocalEngine): Promise<void> {
  const fresh = await freshExtraction(engine.source);
  for (const container of DATA_CONTAINERS) {
    const stored = await storedDocuments(world, container);
    for (const [key, document] of stored) {
      if ((document as { type: string }).type === TOMBSTONE_TYPE) stored.delete(key);
    }
    expect(new Map([...stored].sort()), container).toEqual(
      new Map([...fresh.documents.get(container)!].sort()),
    );
  }
}

describe('continuous sync rounds over a real replication slot', () => {
  let world: TestWorld;
  let engine: LocalEngine;

  beforeAll(async () => {
    world = await createWorld('sync_round');
    await seedSource(world.source, { users: 30, seed: 9 });
    engine = world.engine();
  });

  afterAll(async () => {
    await stopSync({ capture: engine.changeStream, syncStore: engine.syncStore }).catch(
      () => undefined,
    );
    await world?.close();
  });

  it('captures changes made while the load runs and after it, holds them until the load is done, then applies them all', async () => {
    const started = await startMigration(engine, { batchSize: 200, sync: true });
    expect(started.sync?.slot).toMatch(/^cosmos_migration_slot_/);
    // Written while the batches are being loaded: each is either read by the load or in the slot.
    await writeTraffic(world, 1);
    const early = await runSyncRound(engine.syncDeps());
    if (early.kind !== 'holding') expect(early.kind).toBe('applied'); // the load may already be done
    await engine.localQueue.idle();
    await writeTraffic(world, 2);

    const first = await catchUp(engine.syncDeps(), 50);
    expect(first.outcome).toBe('caught-up');
    expect(first.changesRead).toBeGreaterThan(0);
    await expectCosmosEqualsSource(world, engine);

    const second = await catchUp(engine.syncDeps(), 50);
    expect(second).toMatchObject({ outcome: 'caught-up', changesRead: 0 });
    expect(
      Object.values(second.entities).every(
        (e) => e.documentsUpserted === 0 && e.documentsDeleted === 0,
      ),
    ).toBe(true);
  });

  // The process dies at the first, second, ... write of a round: each time the slot stays where
  // it was and the next round applies everything.
  it.each([1, 2, 3, 4])(
    'never advances the slot past a change it did not apply: a round dying at write %i is replayed',
    async (dieAt) => {
      await writeTraffic(world, 2 + dieAt);
      const before = await syncStatus(engine.syncDeps());
      const deps = engine.syncDeps();
      let calls = 0;
      const dying =
        <A extends unknown[], R>(write: (...args: A) => Promise<R>) =>
        async (...args: A): Promise<R> => {
          if (++calls === dieAt) throw new Error('the process died here');
          return write(...args);
        };
      const failing = {
        ...deps,
        writer: {
          upsertAll: dying(deps.writer.upsertAll.bind(deps.writer)),
          deleteAll: dying(deps.writer.deleteAll.bind(deps.writer)),
          deleteWithTombstones: dying(deps.writer.deleteWithTombstones.bind(deps.writer)),
        },
      };
      await expect(runSyncRound(failing)).rejects.toThrow('the process died here');
      const after = await syncStatus(engine.syncDeps());
      expect(after.slot!.confirmedFlushLsn).toBe(before.slot!.confirmedFlushLsn);
      expect(after.state.confirmedLsn).toBe(before.state.confirmedLsn);

      const replayed = await catchUp(engine.syncDeps(), 50);
      expect(replayed.outcome).toBe('caught-up');
      expect(replayed.changesRead).toBeGreaterThan(0);
      await expectCosmosEqualsSource(world, engine);
    },
  );

  it('leaves a target a full validation finds ready', async () => {
    const verdict = await runValidationInline(
      engine,
      { mode: 'full', batchSize: 500, threshold: 1, trigger: 'manual' },
      2,
    );
    expect(verdict.totals).toMatchObject({ mismatched: 0, missing: 0, extra: 0 });
    expect(verdict.ready).toBe(true);
  });

  it('fans a large round out over the sync queue and advances only once every part is done', async () => {
    const fanning = world.engine({ SYNC_FANOUT_KEYS: '5' });
    await writeTraffic(world, 9);
    await writeTraffic(world, 10);
    const before = await syncStatus(fanning.syncDeps());
    const first = await runSyncRound(fanning.syncDeps());
    expect(first.kind).toBe('fanned-out');
    // The slot stays until the parts are applied.
    expect((await syncStatus(fanning.syncDeps())).slot!.confirmedFlushLsn).toBe(
      before.slot!.confirmedFlushLsn,
    );
    await fanning.localSyncQueue.idle();
    const done = await runSyncRound(fanning.syncDeps());
    expect(done.kind).toBe('applied');
    expect(done.kind === 'applied' && done.round.changesRead).toBeGreaterThan(0);
    expect((await catchUp(fanning.syncDeps(), 50)).outcome).toBe('caught-up');
    await expectCosmosEqualsSource(world, fanning);
  });

  it('repairs while the sync follows through its apply path, with its rounds paused', async () => {
    const posts = world.cosmos.database(world.database).container('posts');
    const { resources } = await posts.items
      .query<{ id: string; pk: string; engagement: { commentCount: number } }>('SELECT * FROM c')
      .fetchAll();
    const target = resources[0]!;
    await posts.items.upsert({
      ...target,
      engagement: { ...target.engagement, commentCount: 999 },
    });
    const found = await runValidationInline(
      engine,
      { mode: 'full', batchSize: 500, threshold: 1, trigger: 'manual' },
      2,
    );
    expect(found.totals.mismatched).toBe(1);

    const held = await engine.changeStream.tryLockRound();
    expect(held).not.toBeNull();
    let finished = false;
    const repair = repairValidation(engine, found.validationId, { deleteExtras: false }).then(
      (r) => {
        finished = true;
        return r;
      },
    );
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(finished, 'a repair must wait while a round holds the source').toBe(false);
    await held!.release();
    const repaired = await repair;
    expect(repaired.rowsRewritten).toBe(1);
    await expectCosmosEqualsSource(world, engine);
  });

  it('stop drops the slot and the publication and leaves the sync stopped', async () => {
    const { tearDown, state } = await stopSync({
      capture: engine.changeStream,
      syncStore: engine.syncStore,
    });
    expect(tearDown).toMatchObject({ droppedSlot: true, droppedPublication: true });
    expect(state?.status).toBe('stopped');
    const slots = await world.source.query(
      `SELECT 1 FROM pg_replication_slots WHERE slot_name = $1`,
      [state!.slot],
    );
    const publications = await world.source.query(
      `SELECT 1 FROM pg_publication WHERE pubname = $1`,
      [state!.publication],
    );
    expect(slots.rowCount).toBe(0);
    expect(publications.rowCount).toBe(0);
    await expect(runSyncRound(engine.syncDeps())).rejects.toMatchObject({ code: 'SYNC_STOPPED' });
  });
});
