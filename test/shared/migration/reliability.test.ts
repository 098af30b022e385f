import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getRun, resumeRun } from '../../../src/shared/migration/run-queries';
import { migrateBatch } from '../../../src/shared/migration/migrate-batch';
import { messageFor, startMigration } from '../../../src/shared/migration/start-migration';
import { seedSource } from '../../../src/shared/source/seed';
import { DATA_CONTAINERS, etags, expectedDocuments } from '../../support/documents';
import { createWorld, TestWorld } from '../../support/engine';
import { startFaultProxy, FaultProxy } from '../../support/fault-proxy';
import { cosmosTarget } from '../../support/servers';

const USERS = 120;

async function allEtags(world: TestWorld) {
  return Object.fromEntries(
    await Promise.all(DATA_CONTAINERS.map(async (c) => [c, await etags(world, c)] as const)),
  );
}

async function expectEveryRowOnce(world: TestWorld) {
  const expected = await expectedDocuments(world);
  const actual = await allEtags(world);
  for (const container of DATA_CONTAINERS)
    expect(actual[container]!.size, container).toBe(expected[container]);
}

describe('reliability of the full load', () => {
  let world: TestWorld;

  beforeAll(async () => {
    world = await createWorld('rel');
    await seedSource(world.source, { users: USERS, seed: 7 });
  });
  afterAll(() => world?.close());

  it('a finished run redelivered changes no document; a new run rewrites the same content', async () => {
    const engine = world.engine();
    const { runId } = await startMigration(engine, { batchSize: 100 });
    await engine.localQueue.idle();
    expect((await getRun(engine, runId)).status).toBe('completed');
    await expectEveryRowOnce(world);
    const before = await allEtags(world);

    const run = (await engine.store.getRun(runId))!;
    for (const batch of await engine.store.getBatches(run)) {
      expect(await migrateBatch(engine, messageFor(batch))).toEqual({
        kind: 'skipped',
        reason: 'already-done',
      });
    }
    expect(await allEtags(world)).toEqual(before);

    const samplePost = [...before.posts!.keys()][5]!.split('|');
    const postBefore = await world.read('posts', samplePost[1]!, samplePost[0]!);
    const second = await startMigration(engine, { batchSize: 250 });
    await engine.localQueue.idle();
    expect((await getRun(engine, second.runId)).status).toBe('completed');
    expect(await world.read('posts', samplePost[1]!, samplePost[0]!)).toEqual(postBefore);
    await expectEveryRowOnce(world);
  });

  it('a run killed mid-way and resumed migrates every row exactly once, with the newest data', async () => {
    const first = world.engine({ MIGRATION_BATCH_CONCURRENCY: '1' });
    const { runId } = await startMigration(first, { batchSize: 100 });
    // Let a few batches finish, then "kill" the process: nothing more is taken from its queue.
    await new Promise<void>((resolve) => {
      const timer = setInterval(async () => {
        const summary = await getRun(first, runId);
        if (summary.totals.rowsRead >= 200) {
          first.localQueue.stop();
          clearInterval(timer);
          resolve();
        }
      }, 5);
    });
    await first.localQueue.idle().catch(() => undefined);
    const halfway = await getRun(first, runId);
    expect(halfway.status).toBe('running');

    // A source row changes while the run is down; its batch has not run yet.
    const run = (await first.store.getRun(runId))!;
    const pending = (await first.store.getBatches(run)).filter(
      (b) => b.entity === 'comments' && b.status !== 'done',
    );
    expect(pending.length).toBeGreaterThan(0);
    const { rows } = await world.source.query(
      `SELECT id, post_id FROM comments WHERE ($1::uuid IS NULL OR id > $1::uuid) ORDER BY id LIMIT 1`,
      [pending[0]!.range.from],
    );
    await world.source.query(`UPDATE comments SET content = 'changed while down' WHERE id = $1`, [
      rows[0].id,
    ]);

    const second = world.engine();
    const resumed = await resumeRun(second, runId);
    expect(resumed.requeued).toBe(
      halfway.failedBatches.length +
        Object.values(halfway.entities).reduce((n, e) => n + e.batches.total - e.batches.done, 0),
    );
    await second.localQueue.idle();
    const final = await getRun(second, runId);
    expect(final.status).toBe('completed');
    expect(final.totals.lostRows).toBe(0);
    expect(final.totals.rowsMigrated).toBe(final.totals.sourceRows);
    const comment = await world.read<{ content: string }>(
      'comments',
      rows[0].id,
      `post:${rows[0].post_id}`,
    );
    expect(comment?.content).toBe('changed while down');
    await expectEveryRowOnce(world);
  });

  describe('through a faulty network', () => {
    let proxy: FaultProxy;
    beforeAll(async () => {
      proxy = await startFaultProxy(cosmosTarget().endpoint);
    });
    afterAll(() => proxy?.stop());

    it('429 and 503 answers cost time, not rows, and 429s are counted per batch', async () => {
      const engine = world.engine({ COSMOS_ENDPOINT: proxy.endpoint });
      // Only bulk writes to the data containers, so every injected 429 lands inside a batch's accounting.
      const dataBulk = ({
        method,
        url,
        headers,
      }: {
        method: string;
        url: string;
        headers: Record<string, unknown>;
      }) =>
        method === 'POST' &&
        /\/colls\/(users|posts|comments|votes)\/docs$/.test(url) &&
        headers['x-ms-cosmos-is-batch-request'] !== undefined;
      proxy.inject({ status: 429, retryAfterMs: 20, every: 3, times: 40, match: dataBulk });
      const { runId } = await startMigration(engine, { batchSize: 100 });
      await engine.localQueue.idle();
      const throttledRun = await getRun(engine, runId);
      expect(throttledRun.status).toBe('completed');
      expect(proxy.stats().injected).toBeGreaterThan(5);
      expect(throttledRun.totals.throttled).toBe(proxy.stats().injected);
      expect(throttledRun.totals.lostRows).toBe(0);

      proxy.inject({ status: 503, every: 4, times: 5, match: dataBulk });
      const second = await startMigration(engine, { batchSize: 100 });
      await engine.localQueue.idle();
      const unavailableRun = await getRun(engine, second.runId);
      expect(proxy.stats().injected).toBe(5);
      expect(unavailableRun.status).toBe('completed');
      expect(unavailableRun.totals.rowsMigrated).toBe(unavailableRun.totals.sourceRows);
      await expectEveryRowOnce(world);
    });
  });

  it('dropped PostgreSQL connections cost time, not rows', async () => {
    const engine = world.engine({ MIGRATION_BATCH_CONCURRENCY: '2' });
    const { runId } = await startMigration(engine, { batchSize: 100 });
    let terminated = 0;
    const killer = setInterval(async () => {
      if (terminated >= 12) return;
      const { rows } = await world.source.query(
        `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity
         WHERE application_name = 'cosmos-migration' AND datname = current_database()`,
      );
      terminated += rows.filter((row) => row.ok).length;
    }, 15);
    await engine.localQueue.idle();
    clearInterval(killer);
    const summary = await getRun(engine, runId);
    expect(terminated).toBeGreaterThan(0);
    expect(summary.status).toBe('completed');
    expect(summary.totals.rowsMigrated).toBe(summary.totals.sourceRows);
  });

  it('a batch that keeps failing is dead-lettered and shows as failed with its reason; the rest goes on', async () => {
    await world.source.query('ALTER TABLE users RENAME COLUMN password_hash TO secret');
    try {
      const engine = world.engine({ MIGRATION_MAX_DELIVERY_COUNT: '2' });
      const { runId } = await startMigration(engine, { batchSize: 500 });
      await engine.localQueue.idle();
      const summary = await getRun(engine, runId);
      expect(summary.status).toBe('failed');
      expect(summary.entities.users?.batches.failed).toBe(summary.entities.users?.batches.total);
      for (const entity of ['posts', 'comments', 'votes'] as const) {
        expect(summary.entities[entity]?.batches.done).toBe(
          summary.entities[entity]?.batches.total,
        );
      }
      expect(summary.failedBatches[0]?.reason).toMatch(/MaxDeliveryCountExceeded.*password_hash/);
      expect(summary.totals.lostRows).toBe(summary.entities.users?.sourceRows);
    } finally {
      await world.source.query('ALTER TABLE users RENAME COLUMN secret TO password_hash');
    }
  });
});
