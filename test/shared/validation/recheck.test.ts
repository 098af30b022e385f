import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalEngine } from '../../../src/cli/local-engine';
import { startMigration } from '../../../src/shared/migration/start-migration';
import { seedSource } from '../../../src/shared/source/seed';
import { runValidationInline } from '../../../src/shared/validation/run-inline';
import { createWorld, TestWorld } from '../../support/engine';

type Doc = Record<string, unknown> & { id: string; pk: string; title: string };

describe('validation of a live source: differences looked at again', () => {
  let world: TestWorld;
  let engine: LocalEngine;

  beforeAll(async () => {
    world = await createWorld('recheck');
    await seedSource(world.source, { users: 20, seed: 5 });
    engine = world.engine({ VALIDATION_RECHECK_SECONDS: '1' });
    await startMigration(engine, { batchSize: 100 });
    await engine.localQueue.idle();
  });
  afterAll(() => world?.close());

  const posts = () => world.cosmos.database(world.database).container('posts');

  it('counts a write that lands within the delay as matched, and keeps one that does not', async () => {
    const { resources } = await posts()
      .items.query<Doc>("SELECT TOP 2 * FROM c WHERE c.type = 'post'")
      .fetchAll();
    const [inFlight, broken] = resources as [Doc, Doc];
    // The source moves on for both; only one of the changes reaches Cosmos (as the sync would).
    for (const post of [inFlight, broken])
      await world.source.query('UPDATE posts SET title = $2 WHERE id = $1', [post.id, 'changed']);
    const landing = (async () => {
      await sleep(300);
      await posts().items.upsert({ ...inFlight, title: 'changed' });
    })();
    const verdict = await runValidationInline(
      engine,
      { mode: 'full', batchSize: 500, threshold: 1, trigger: 'manual' },
      2,
    );
    await landing;
    expect(verdict.entities.posts).toMatchObject({ mismatched: 1, missing: 0, extra: 0 });
    expect(verdict.entities.posts!.differences).toEqual([
      expect.objectContaining({ id: broken.id, class: 'mismatch', fields: ['/title'] }),
    ]);
    expect(verdict.entities.posts!.matched).toBe(verdict.entities.posts!.checked - 1);
  });
});
