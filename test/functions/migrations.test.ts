import { HttpRequest } from '@azure/functions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateBatchHandler } from '../../src/functions/migrate-batch';
import { migrateBatchDeadletter } from '../../src/functions/migrate-batch-deadletter';
import { migrationsGet } from '../../src/functions/migrations-get';
import { migrationsResume } from '../../src/functions/migrations-resume';
import { migrationsStart } from '../../src/functions/migrations-start';
import { useFunctionsEngine } from '../../src/shared/composition/functions-engine';
import { BatchMessage } from '../../src/shared/migration/records';
import { seedSource } from '../../src/shared/source/seed';
import { createWorld, TestWorld } from '../support/engine';
import { functionContext, RecordingQueue } from '../support/functions';

const logs: string[] = [];
const context = functionContext(logs);

const post = (url: string, body?: unknown) =>
  new HttpRequest({
    url,
    method: 'POST',
    body:
      body === undefined
        ? undefined
        : { string: typeof body === 'string' ? body : JSON.stringify(body) },
  });

describe('migration functions', () => {
  let world: TestWorld;
  const queue = new RecordingQueue<BatchMessage>();

  beforeAll(async () => {
    world = await createWorld('fn');
    await seedSource(world.source, { users: 40, seed: 3 });
    const engine = world.engine();
    useFunctionsEngine(Object.create(engine, { queue: { value: queue } }));
  });
  afterAll(() => world?.close());

  it('rejects bad input with a 400 naming the field', async () => {
    const cases: [unknown, RegExp][] = [
      [{ batchSize: 50 }, /^batchSize:/],
      [{ entities: ['users', 'likes'] }, /^entities\.1:/],
      [{ entities: [] }, /^entities:/],
      [{ dryRun: 'yes' }, /^dryRun:/],
      [{ surprise: 1 }, /surprise/],
      ['{not json', /^body:/],
    ];
    for (const [body, message] of cases) {
      const response = await migrationsStart(
        post('http://localhost/api/migrations', body),
        context('migrations-start'),
      );
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect((response.jsonBody as { error: { message: string } }).error.message).toMatch(message);
    }
  });

  it('answers 404 for an unknown run', async () => {
    const request = new HttpRequest({
      url: 'http://localhost/api/migrations/run-nope',
      method: 'GET',
      params: { runId: 'run-nope' },
    });
    const response = await migrationsGet(request, context('migrations-get'));
    expect(response.status).toBe(404);
    expect(response.jsonBody).toEqual({
      error: { code: 'RUN_NOT_FOUND', message: 'no migration run run-nope' },
    });
  });

  it('plans a dry run without sending anything', async () => {
    const response = await migrationsStart(
      post('http://localhost/api/migrations', { dryRun: true, batchSize: 100 }),
      context('migrations-start'),
    );
    expect(response.status).toBe(200);
    expect(queue.sent).toHaveLength(0);
    expect((response.jsonBody as { batches: number }).batches).toBeGreaterThan(4);
  });

  it('starts a run (202), refuses an overlapping one (409), and the workers finish it', async () => {
    const started = await migrationsStart(
      post('http://localhost/api/migrations', { batchSize: 100 }),
      context('migrations-start'),
    );
    expect(started.status).toBe(202);
    const { runId, batches } = started.jsonBody as { runId: string; batches: number };
    expect(started.headers).toMatchObject({ Location: `/api/migrations/${runId}` });
    expect(queue.sent.map((m) => m.messageId)).toEqual(queue.sent.map((m) => m.body.batchId));
    expect(queue.sent).toHaveLength(batches);

    const overlapping = await migrationsStart(
      post('http://localhost/api/migrations', { entities: ['votes'] }),
      context('migrations-start'),
    );
    expect(overlapping.status).toBe(409);
    expect((overlapping.jsonBody as { error: { code: string } }).error.code).toBe('RUN_ACTIVE');

    // The first batch fails its last delivery: Service Bus dead-letters it.
    const [first, ...rest] = queue.sent.splice(0);
    await migrateBatchDeadletter(
      first!.body,
      context('migrate-batch-deadletter', { deadLetterReason: 'MaxDeliveryCountExceeded' }),
    );
    for (const message of rest)
      await migrateBatchHandler(message.body, context('migrate-batch', { deliveryCount: 1 }));

    const get = (id: string) =>
      migrationsGet(
        new HttpRequest({
          url: `http://localhost/api/migrations/${id}`,
          method: 'GET',
          params: { runId: id },
        }),
        context('migrations-get'),
      );
    const failed = (await get(runId)).jsonBody as {
      status: string;
      failedBatches: { batchId: string; reason: string }[];
    };
    expect(failed.status).toBe('failed');
    expect(failed.failedBatches).toEqual([
      expect.objectContaining({ batchId: first!.body.batchId, reason: 'MaxDeliveryCountExceeded' }),
    ]);

    const resumed = await migrationsResume(
      new HttpRequest({
        url: `http://localhost/api/migrations/${runId}/resume`,
        method: 'POST',
        params: { runId },
      }),
      context('migrations-resume'),
    );
    expect(resumed.status).toBe(202);
    expect(resumed.jsonBody).toEqual({ runId, requeued: 1 });
    for (const message of queue.sent.splice(0))
      await migrateBatchHandler(message.body, context('migrate-batch', { deliveryCount: 1 }));

    const done = (await get(runId)).jsonBody as {
      status: string;
      totals: { lostRows: number; rowsMigrated: number; sourceRows: number };
    };
    expect(done.status).toBe('completed');
    expect(done.totals.lostRows).toBe(0);
    expect(done.totals.rowsMigrated).toBe(done.totals.sourceRows);
  });

  it('rethrows a failing batch so Service Bus can redeliver it', async () => {
    await expect(
      migrateBatchHandler(
        { runId: 'bad id', batchId: 'x', entity: 'users' },
        context('migrate-batch'),
      ),
    ).rejects.toThrow(/malformed batch message/);
  });
});
