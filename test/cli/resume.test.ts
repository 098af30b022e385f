import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchRecord } from '../../src/shared/migration/records';
import { getRun } from '../../src/shared/migration/run-queries';
import { startMigration } from '../../src/shared/migration/start-migration';
import { ValidationBatchRecord } from '../../src/shared/validation/records';
import { seedSource } from '../../src/shared/source/seed';
import { cli } from '../support/cli';
import { DATA_CONTAINERS, etags, expectedDocuments } from '../support/documents';
import { createWorld, TestWorld } from '../support/engine';
import { freshExtraction, storedDocuments } from '../support/documents';
import { startCli, until } from './killed-process';

/** One migration batch at a time in the child, so a kill finds some done and one in flight. */
const SLOW = { MIGRATION_BATCH_CONCURRENCY: '1' };
/** Validation batches are quicker: with a few in flight, a kill finds one of them running. */
const VALIDATION = { MIGRATION_BATCH_CONCURRENCY: '3' };
/** Batches done before the kill (of about 50 for the run and for the validation). */
const DONE_BEFORE_KILL = 6;

const countBy = <T>(items: T[], key: (item: T) => string) =>
  items.reduce<Record<string, number>>(
    (n, item) => ({ ...n, [key(item)]: (n[key(item)] ?? 0) + 1 }),
    {},
  );

describe('a killed migrate, then resume', () => {
  let world: TestWorld;
  let finishedRunId: string | undefined;

  beforeAll(async () => {
    world = await createWorld('resume');
    await seedSource(world.source, { users: 300, seed: 5 });
  });
  afterAll(() => world?.close());

  it('SIGKILL mid-run: migrate refuses RUN_ACTIVE naming resume; resume finishes every batch once', async () => {
    const env = { ...world.settings, ...SLOW };
    const engine = world.engine();
    const t0 = Date.now();
    const first = startCli(['migrate', '--batch-size', '100'], env);
    const runId = await until(
      'run id',
      first,
      () => first.stderr().match(/run (run-[0-9a-z-]+): \d+ batches/)?.[1],
    );
    // Mid-run: a few batches done and one running, as the run's batch records in Cosmos say.
    const run = (await engine.store.getRun(runId))!;
    const total = Object.values(run.plan).reduce((n, p) => n + p!.batches, 0);
    await until(`batch in flight after ${DONE_BEFORE_KILL} done`, first, async () => {
      const batches = await engine.store.getBatches(run);
      const status = countBy(batches, (b) => b.status);
      return (status.done ?? 0) >= DONE_BEFORE_KILL && status.running ? status : undefined;
    });
    first.child.kill('SIGKILL');
    expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });
    const killedAfter = Date.now() - t0;

    const atKill = new Map((await engine.store.getBatches(run)).map((b) => [b.id, b]));
    const doneAtKill = [...atKill.values()].filter((b) => b.status === 'done');
    const leftRunning = [...atKill.values()].filter((b) => b.status === 'running');
    expect(doneAtKill.length).toBeGreaterThanOrEqual(DONE_BEFORE_KILL);
    expect(doneAtKill.length).toBeLessThan(total);
    // Usually one batch was in flight; the kill can also land between two batches (both are mid-run).
    expect(doneAtKill.length + leftRunning.length).toBeLessThan(total);
    expect((await getRun(engine, runId)).status).toBe('running');

    const refused = cli(['migrate', '--json'], env);
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stdout).error.code).toBe('RUN_ACTIVE');
    expect(refused.stderr).toContain(`cosmos-migration resume ${runId}`);
    expect(refused.stderr).toContain(`POST /api/migrations/${runId}/resume`);

    const t1 = Date.now();
    const resumed = cli(['resume', runId, '--json'], env);
    const resumeMs = Date.now() - t1;
    expect(resumed.stderr).toMatch(
      new RegExp(`run ${runId}: resuming ${total - doneAtKill.length} batches that are not done`),
    );
    // What a fresh extraction gives: every row is a document, or a row error if it cannot be one.
    const fresh = await freshExtraction(engine.source);
    const rowError = (e: { table: string; id: string; code: string }) =>
      `${e.table}:${e.id}:${e.code}`;
    expect(resumed.code, resumed.stderr).toBe(fresh.rowErrors.length > 0 ? 2 : 0);
    const summary = JSON.parse(resumed.stdout);
    expect(summary).toMatchObject({
      runId,
      status: fresh.rowErrors.length > 0 ? 'completed_with_errors' : 'completed',
      lostRows: 0,
      failedBatches: [],
    });
    expect(summary.rowErrors.map(rowError).sort()).toEqual(fresh.rowErrors.map(rowError).sort());

    // Every batch done once: those done before the kill untouched, those left running taken
    // again, the rest taken once.
    const after = await engine.store.getBatches(run);
    expect(after).toHaveLength(total);
    expect(new Set(after.map((b) => b.id)).size).toBe(total);
    for (const batch of after) {
      expect(batch.status, batch.id).toBe('done');
      const before = atKill.get(batch.id)!;
      if (before.status === 'done') expect(batch, batch.id).toEqual(before);
      else if (before.status === 'running')
        expect(batch.attempts, batch.id).toBe(before.attempts + 1);
      else expect(batch.attempts, batch.id).toBe(1);
    }
    const expected = await expectedDocuments(world);
    for (const entity of DATA_CONTAINERS) {
      const counted = summary.entities[entity];
      expect(counted.rowsMigrated + counted.rowErrors, entity).toBe(counted.sourceRows);
      const batches = after.filter((b: BatchRecord) => b.entity === entity);
      expect(
        batches.reduce((n, b) => n + b.rowsRead, 0),
        entity,
      ).toBe(counted.sourceRows);
      expect(
        batches.reduce((n, b) => n + b.documentsWritten, 0),
        entity,
      ).toBe(fresh.documents.get(entity)!.size);
    }

    // Exactly the documents a fresh extraction gives, each once.
    for (const container of DATA_CONTAINERS) {
      const stored = await storedDocuments(world, container);
      expect((await etags(world, container)).size, container).toBe(stored.size);
      // Without row errors the source gives three documents per user and one per other row.
      if (fresh.rowErrors.length === 0) expect(stored.size, container).toBe(expected[container]);
      expect(stored.size, container).toBe(fresh.documents.get(container)!.size);
      expect(stored, container).toEqual(fresh.documents.get(container));
    }
    finishedRunId = runId;
    console.info(
      `migrate killed after ${killedAfter} ms (${doneAtKill.length}/${total} batches done, ` +
        `${leftRunning.length} running); resume took ${resumeMs} ms; ` +
        `${fresh.rowErrors.length} row errors`,
    );
  });

  it('resume of an unknown run: exit 1 and one error line; a finished run resumes to its summary', () => {
    const unknown = cli(['resume', 'run-20200101-000000-abcdef'], world.settings);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.trim().split('\n').at(-1)).toBe(
      'error [RUN_NOT_FOUND]: no migration run run-20200101-000000-abcdef',
    );
    const malformed = cli(['resume', 'nonsense'], world.settings);
    expect(malformed.code).toBe(1);
    expect(malformed.stderr).toMatch(/error \[INVALID_ARGUMENTS\]: "nonsense" is not a run id/);
    expect(cli(['resume'], world.settings).stderr).toMatch(/resume needs a run id/);

    expect(finishedRunId, 'the run of the test before').toBeDefined();
    const again = cli(['resume', finishedRunId!, '--json'], world.settings);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain(`run ${finishedRunId}: every batch is done already`);
    expect(JSON.parse(again.stdout)).toMatchObject({ runId: finishedRunId, status: 'completed' });
  });
});

describe('a killed validate, then validate --resume', () => {
  let world: TestWorld;

  beforeAll(async () => {
    world = await createWorld('vresume');
    await seedSource(world.source, { users: 300, seed: 9 });
    const engine = world.engine();
    const { runId } = await startMigration(engine, { batchSize: 500 });
    await engine.localQueue.idle();
    expect((await getRun(engine, runId)).status).toBe('completed');
  });
  afterAll(() => world?.close());

  it('SIGKILL mid-validation: --resume finishes it, each difference found once', async () => {
    // One difference of each class, so the verdict has something to find (and count twice).
    const container = (name: string) => world.cosmos.database(world.database).container(name);
    const { resources: posts } = await container('posts')
      .items.query<{ id: string; pk: string; title: string }>('SELECT * FROM c')
      .fetchAll();
    const changed = posts[posts.length - 3]!;
    await container('posts').items.upsert({ ...changed, title: 'changed' });
    const { resources: comments } = await container('comments')
      .items.query<{ id: string; pk: string }>('SELECT c.id, c.pk FROM c')
      .fetchAll();
    const deleted = comments[comments.length - 5]!;
    await container('comments').item(deleted.id, deleted.pk).delete();
    await container('votes').items.create({ id: 'not-a-vote', pk: 'nowhere', type: 'vote' });

    const env = { ...world.settings, ...VALIDATION };
    const engine = world.engine();
    const t0 = Date.now();
    const first = startCli(['validate', '--full', '--batch-size', '100'], env);
    const validationId = await until(
      'validation id',
      first,
      () => first.stderr().match(/validation (val-[0-9a-z-]+) \(full\)/)?.[1],
    );
    const validation = (await engine.validations.getValidation(validationId))!;
    const records = async () => {
      const all: ValidationBatchRecord[] = [];
      for await (const chunk of engine.validations.batches(validation)) all.push(...chunk);
      return all;
    };
    await until(`validation batch in flight after ${DONE_BEFORE_KILL} done`, first, async () => {
      const status = countBy(await records(), (b) => b.status);
      return (status.done ?? 0) >= DONE_BEFORE_KILL && status.running ? status : undefined;
    });
    first.child.kill('SIGKILL');
    expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });
    const killedAfter = Date.now() - t0;
    const atKill = new Map((await records()).map((b) => [b.id, b]));
    const doneAtKill = [...atKill.values()].filter((b) => b.status === 'done');
    const leftRunning = [...atKill.values()].filter((b) => b.status === 'running');
    expect(doneAtKill.length).toBeGreaterThanOrEqual(DONE_BEFORE_KILL);
    expect(doneAtKill.length).toBeLessThan(atKill.size);
    expect(leftRunning.length).toBeGreaterThan(0);

    const t1 = Date.now();
    const resumed = cli(['validate', '--resume', validationId, '--json'], env);
    const resumeMs = Date.now() - t1;
    expect(resumed.code, resumed.stderr).toBe(2);
    const result = JSON.parse(resumed.stdout);
    expect(result).toMatchObject({ validationId, status: 'completed', ready: false });
    const expected = await expectedDocuments(world);
    expect(result.entities.users).toMatchObject({ checked: expected.users, differences: [] });
    expect(result.entities.posts).toMatchObject({
      checked: expected.posts,
      mismatched: 1,
      differences: [{ id: changed.id, class: 'mismatch', fields: ['/title'] }],
    });
    expect(result.entities.comments).toMatchObject({
      checked: expected.comments,
      missing: 1,
      differences: [{ id: deleted.id, class: 'missing', fields: [] }],
    });
    expect(result.entities.votes).toMatchObject({
      checked: expected.votes + 1,
      extra: 1,
      differences: [{ id: 'not-a-vote', class: 'extra', fields: [] }],
    });

    const after = await records();
    for (const batch of after) {
      expect(batch.status, batch.id).toBe('done');
      const before = atKill.get(batch.id);
      if (before?.status === 'done') expect(batch, batch.id).toEqual(before);
      if (before?.status === 'running') expect(batch.attempts, batch.id).toBe(before.attempts + 1);
    }
    expect(new Set(after.map((b) => b.id)).size).toBe(after.length);

    const unknown = cli(['validate', '--resume', 'val-20200101-000000-abcdef'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.trim().split('\n').at(-1)).toBe(
      'error [VALIDATION_NOT_FOUND]: no validation val-20200101-000000-abcdef',
    );
    expect(cli(['validate', '--resume', validationId, '--full'], env).stderr).toMatch(
      /INVALID_ARGUMENTS.*--resume/,
    );
    console.info(
      `validate killed after ${killedAfter} ms (${doneAtKill.length}/${atKill.size} batches done, ` +
        `${leftRunning.length} running); ` +
        `resume took ${resumeMs} ms`,
    );
  });
});
