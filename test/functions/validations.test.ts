import { HttpRequest } from '@azure/functions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrationsReport } from '../../src/functions/migrations-report';
import { recover } from '../../src/functions/recover';
import { validateBatchHandler } from '../../src/functions/validate-batch';
import { validateBatchDeadletter } from '../../src/functions/validate-batch-deadletter';
import { validationSchedule } from '../../src/functions/validation-schedule';
import { validationsGet } from '../../src/functions/validations-get';
import { validationsRepair } from '../../src/functions/validations-repair';
import { validationsStart } from '../../src/functions/validations-start';
import { useFunctionsEngine } from '../../src/shared/composition/functions-engine';
import { startMigration } from '../../src/shared/migration/start-migration';
import { seedSource } from '../../src/shared/source/seed';
import { ValidationMessage } from '../../src/shared/validation/records';
import { ValidationSummary } from '../../src/shared/validation/validation-summary';
import { createWorld, TestWorld } from '../support/engine';
import { functionContext, RecordingQueue } from '../support/functions';

const logs: string[] = [];
const context = functionContext(logs);

const request = (
  method: string,
  url: string,
  body?: unknown,
  params: Record<string, string> = {},
) =>
  new HttpRequest({
    url,
    method,
    params,
    body: body === undefined ? undefined : { string: JSON.stringify(body) },
  });

describe('validation functions', () => {
  let world: TestWorld;
  let runId: string;
  const queue = new RecordingQueue<ValidationMessage>();

  /** Delivers until the queue is empty: finishing batches send more (the census, its search). */
  async function deliverAll() {
    for (let sent = queue.take(); sent.length > 0; sent = queue.take()) {
      for (const message of sent) {
        await validateBatchHandler(message.body, context('validate-batch'));
      }
    }
  }
  async function get(validationId: string): Promise<ValidationSummary> {
    const response = await validationsGet(
      request('GET', `http://localhost/api/validations/${validationId}`, undefined, {
        validationId,
      }),
      context('validations-get'),
    );
    expect(response.status).toBe(200);
    return response.jsonBody as ValidationSummary;
  }
  async function start(body: unknown) {
    const response = await validationsStart(
      request('POST', 'http://localhost/api/validations', body),
      context('validations-start'),
    );
    return response;
  }

  beforeAll(async () => {
    world = await createWorld('vfn');
    await seedSource(world.source, { users: 40, seed: 5 });
    const engine = world.engine();
    ({ runId } = await startMigration(engine, { batchSize: 100 }));
    await engine.localQueue.idle();
    useFunctionsEngine(Object.create(engine, { validationQueue: { value: queue } }));
  });
  afterAll(() => world?.close());

  it('rejects bad input with a 400 naming the field, and unknown ids with a 404', async () => {
    const cases: [unknown, RegExp][] = [
      [{ sampleSize: 10 }, /^sampleSize:/],
      [{ mode: 'quick' }, /^mode:/],
      [{ mode: 'full', sampleSize: 10 }, /^sampleSize:/],
      [{ mode: 'sample', sampleSize: 0 }, /^sampleSize:/],
      [{ mode: 'full', entities: ['likes'] }, /^entities\.0:/],
    ];
    for (const [body, message] of cases) {
      const response = await start(body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect((response.jsonBody as { error: { message: string } }).error.message).toMatch(message);
    }
    const unknown = await validationsGet(
      request('GET', 'http://localhost/api/validations/val-nope', undefined, {
        validationId: 'val-nope',
      }),
      context('validations-get'),
    );
    expect(unknown.status).toBe(404);
    expect((unknown.jsonBody as { error: { code: string } }).error.code).toBe(
      'VALIDATION_NOT_FOUND',
    );
    const recoverBad = await recover(
      request('POST', 'http://localhost/api/recover', {
        from: '2026-01-02T00:00:00Z',
        to: '2026-01-01T00:00:00Z',
      }),
      context('recover'),
    );
    expect(recoverBad.status).toBe(400);
  });

  it('validates through the queue, finds a tampered document, repairs it', async () => {
    // No mode: a full validation, as the CLI's default.
    const started = await start({});
    expect(started.status).toBe(202);
    const { validationId } = started.jsonBody as { validationId: string };
    expect(started.headers).toMatchObject({ Location: `/api/validations/${validationId}` });
    expect((await get(validationId)).status).toBe('running');
    await deliverAll();
    const clean = await get(validationId);
    expect(clean).toMatchObject({ status: 'completed', ready: true, consistencyRate: 1 });

    const posts = world.cosmos.database(world.database).container('posts');
    const { resources } = await posts.items.query('SELECT * FROM c').fetchAll();
    const tampered = { ...resources[3], title: 'tampered' };
    await posts.items.upsert(tampered);
    const second = (await start({ mode: 'full', entities: ['posts'] })).jsonBody as {
      validationId: string;
    };
    await deliverAll();
    const damaged = await get(second.validationId);
    // One mismatch in ~160 posts is within the default threshold (0.99): ready, but not 1.0.
    expect(damaged.consistencyRate).toBeLessThan(1);
    expect(damaged.totals).toMatchObject({ mismatched: 1, missing: 0, extra: 0 });
    expect(damaged.entities.posts!.differences).toEqual([
      expect.objectContaining({ id: tampered.id, class: 'mismatch', fields: ['/title'] }),
    ]);

    const repaired = await validationsRepair(
      request(
        'POST',
        'http://localhost/api/validations/repair',
        {},
        {
          validationId: second.validationId,
        },
      ),
      context('validations-repair'),
    );
    expect(repaired.status).toBe(200);
    expect(repaired.jsonBody).toMatchObject({ rowsRewritten: 1, deleted: 0 });
    const third = (await start({ mode: 'sample', sampleSize: 1000 })).jsonBody as {
      validationId: string;
    };
    await deliverAll();
    expect(await get(third.validationId)).toMatchObject({ ready: true, consistencyRate: 1 });
  });

  it('a dead-lettered batch makes the validation failed, never ready', async () => {
    const { validationId } = (await start({ mode: 'full', entities: ['users'] })).jsonBody as {
      validationId: string;
    };
    const [first, ...rest] = queue.take();
    await validateBatchDeadletter(
      first!.body,
      context('validate-batch-deadletter', { deadLetterReason: 'MaxDeliveryCountExceeded' }),
    );
    for (const message of rest) await validateBatchHandler(message.body, context('validate-batch'));
    await deliverAll();
    const summary = await get(validationId);
    expect(summary).toMatchObject({ status: 'failed', ready: false });
    expect(summary.failedBatches[0]!.reason).toMatch(/MaxDeliveryCountExceeded/);
  });

  it('recover repairs the rows changed in a window, including the counts a new row changes', async () => {
    const from = new Date().toISOString();
    const { rows } = await world.source.query<{ id: string; author_id: string }>(
      `UPDATE posts SET title = 'edited during the outage', updated_at = now()
       WHERE id = (SELECT id FROM posts ORDER BY id LIMIT 1) RETURNING id, author_id`,
    );
    const post = rows[0]!;
    await world.source.query(
      `INSERT INTO comments (id, post_id, content, user_id, path, depth, created_at, updated_at)
       SELECT gen_random_uuid(), $1, 'new comment', $2, 'x', 0, now(), now()`,
      [post.id, post.author_id],
    );
    const to = new Date(Date.now() + 1000).toISOString();
    const response = await recover(
      request('POST', 'http://localhost/api/recover', {
        from,
        to,
        entities: ['posts', 'comments'],
      }),
      context('recover'),
    );
    expect(response.status).toBe(202);
    const { validationId } = response.jsonBody as { validationId: string };
    await deliverAll();
    const summary = await get(validationId);
    expect(summary.status).toBe('completed');
    expect(summary.entities.posts).toMatchObject({ mismatched: 1 });
    expect(summary.entities.comments).toMatchObject({ missing: 1 });
    const doc = await world.read<{ title: string; engagement: { commentCount: number } }>(
      'posts',
      post.id,
      `user:${post.author_id}`,
    );
    const { rows: counts } = await world.source.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM comments WHERE post_id = $1',
      [post.id],
    );
    expect(doc).toMatchObject({
      title: 'edited during the outage',
      engagement: { commentCount: counts[0]!.n },
    });
  });

  it('reports a run with its latest validation as JSON or Markdown; the schedule emits a metric', async () => {
    logs.length = 0;
    const now = new Date().toISOString();
    await validationSchedule(
      {
        isPastDue: false,
        schedule: { adjustForDST: true },
        scheduleStatus: { last: now, next: now, lastUpdated: now },
      },
      context('validation-schedule'),
    );
    expect(logs.some((line) => /^metric validation\.consistencyRate=1 /.test(line))).toBe(true);

    const md = await migrationsReport(
      request('GET', `http://localhost/api/migrations/${runId}/report?format=md`, undefined, {
        runId,
      }),
      context('migrations-report'),
    );
    expect(md.status).toBe(200);
    expect(String(md.body)).toMatch(/^# Migration report: run-/);
    expect(String(md.body)).toMatch(/\*\*ready\*\*/);
    const json = await migrationsReport(
      request('GET', `http://localhost/api/migrations/${runId}/report`, undefined, { runId }),
      context('migrations-report'),
    );
    expect(json.jsonBody).toMatchObject({
      runId,
      status: 'completed',
      lostRows: 0,
      validation: { mode: 'sample', trigger: 'schedule' },
    });
    const bad = await migrationsReport(
      request('GET', `http://localhost/api/migrations/${runId}/report?format=xml`, undefined, {
        runId,
      }),
      context('migrations-report'),
    );
    expect(bad.status).toBe(400);
  });
});
