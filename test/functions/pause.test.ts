import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HttpRequest, Timer } from '@azure/functions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateBatchHandler } from '../../src/functions/migrate-batch';
import { migrationsStart } from '../../src/functions/migrations-start';
import { syncBatch } from '../../src/functions/sync-batch';
import { syncChanges } from '../../src/functions/sync-changes';
import { validateBatchHandler } from '../../src/functions/validate-batch';
import { validationSchedule } from '../../src/functions/validation-schedule';
import { validationsStart } from '../../src/functions/validations-start';
import { Engine } from '../../src/shared/composition/engine';
import { useFunctionsEngine } from '../../src/shared/composition/functions-engine';
import { FLAG } from '../../src/shared/flags/feature-flags';
import { FlagStore } from '../../src/shared/flags/flag-store';
import { getRun } from '../../src/shared/migration/run-queries';
import { BatchMessage } from '../../src/shared/migration/records';
import { InProcessQueue } from '../../src/shared/queue/in-process-queue';
import { MessageQueue, QueueMessage, SendOptions } from '../../src/shared/queue/queue';
import { seedSource } from '../../src/shared/source/seed';
import { SyncBatchMessage } from '../../src/shared/sync/records';
import { ValidationMessage } from '../../src/shared/validation/records';
import { getValidation } from '../../src/shared/validation/validation-queries';
import { createWorld, TestWorld } from '../support/engine';
import { functionContext, RecordingQueue } from '../support/functions';

const logs: string[] = [];
const context = functionContext(logs);

const post = (url: string, body: unknown) =>
  new HttpRequest({ url, method: 'POST', body: { string: JSON.stringify(body) } });

const now = new Date().toISOString();
const tick: Timer = {
  isPastDue: false,
  schedule: { adjustForDST: true },
  scheduleStatus: { last: now, next: now, lastUpdated: now },
};

async function setMigrationEnabled(flags: FlagStore, enabled: boolean): Promise<void> {
  const stored = (await flags.read()).flags[FLAG.migrationEnabled];
  await flags.write([{ ...stored, flag: { ...stored.flag, enabled } }]);
}

const until = async (condition: () => boolean, what: string, timeoutMs = 20_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what}: not in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

describe('Migration.Enabled off pauses the workers; nothing is lost', () => {
  let world: TestWorld;
  let engine: Engine;
  let flagsFile: string;
  /** Every send to the migration queue, with its delay, before the in-process queue takes it. */
  const migrationSends: { message: QueueMessage<BatchMessage>; delayMs?: number }[] = [];
  const deadLettered: { messageId: string; reason: string }[] = [];
  // Delivered to the function as the Service Bus trigger would (message id, delivery count);
  // one delivery only: a worker that threw would be dead-lettered at once.
  const migrationQueue = new InProcessQueue<BatchMessage>({
    concurrency: 2,
    maxDeliveryCount: 1,
    handle: ({ message, deliveryCount }) =>
      migrateBatchHandler(
        message.body,
        context('migrate-batch', { messageId: message.messageId, deliveryCount }),
      ),
    deadLetter: async (message, reason) =>
      void deadLettered.push({ messageId: message.messageId, reason }),
  });
  const recordingMigrationQueue: MessageQueue<BatchMessage> = {
    async send(messages, options?: SendOptions) {
      for (const message of messages) migrationSends.push({ message, delayMs: options?.delayMs });
      await migrationQueue.send(messages, options);
    },
  };
  const validationQueue = new RecordingQueue<ValidationMessage>();
  const syncQueue = new RecordingQueue<SyncBatchMessage>();

  beforeAll(async () => {
    world = await createWorld('pause');
    await seedSource(world.source, { users: 20, seed: 11 });
    flagsFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pause-flags-')), 'flags.json');
    const base = world.engine({
      FEATURE_FLAGS_FILE: flagsFile,
      // Every message reads the file, so a test sees a flip at once; the cache has its own test.
      MIGRATION_FLAG_CACHE_SECONDS: '0',
      MIGRATION_PAUSE_REQUEUE_SECONDS: '1',
      MIGRATION_PAUSE_REQUEUE_MAX_SECONDS: '2',
    });
    engine = Object.create(base, {
      queue: { value: recordingMigrationQueue },
      validationQueue: { value: validationQueue },
      syncDeps: { value: () => ({ ...base.syncDeps(), syncQueue }) },
    }) as Engine;
    useFunctionsEngine(engine);
  });
  afterAll(async () => {
    migrationQueue.stop();
    await world?.close();
  });

  it('holds every full-load batch while off (re-queued, never dead-lettered), then completes the run when on', async () => {
    await setMigrationEnabled(engine.flags, false);
    const started = await migrationsStart(
      post('http://localhost/api/migrations', { batchSize: 100, sync: false }),
      context('migrations-start'),
    );
    expect(started.status).toBe(202);
    const { runId, batches } = started.jsonBody as { runId: string; batches: number };
    expect(batches).toBeGreaterThan(2);
    const original = migrationSends.slice(0, batches).map((s) => s.message);

    // Each batch is delivered, sent back after 1 s, delivered again, sent back after 2 s.
    await until(
      () =>
        migrationSends.filter((s) => s.message.messageId.endsWith('#paused-2')).length === batches,
      'every batch paused twice',
    );
    for (const message of original) {
      const copies = migrationSends.filter((s) =>
        s.message.messageId.startsWith(message.messageId),
      );
      expect(copies).toEqual([
        { message, delayMs: undefined },
        {
          message: { messageId: `${message.messageId}#paused-1`, body: message.body },
          delayMs: 1000,
        },
        {
          message: { messageId: `${message.messageId}#paused-2`, body: message.body },
          delayMs: 2000,
        },
      ]);
    }
    expect(deadLettered).toEqual([]);
    const paused = await getRun(engine, runId);
    expect(paused.status).toBe('running');
    expect(paused.totals.rowsMigrated).toBe(0);
    expect(
      Object.values(paused.entities).every((e) => e!.batches.queued === e!.batches.total),
    ).toBe(true);
    expect(
      logs.some((line) =>
        /^batch \S+ paused \(Migration\.Enabled is off\): sent back as \S+#paused-1, due in 1 s$/.test(
          line,
        ),
      ),
    ).toBe(true);

    await setMigrationEnabled(engine.flags, true);
    // The copies due within 2 s are now taken: the queue drains with the run done.
    await migrationQueue.idle();
    const done = await getRun(engine, runId);
    expect(done.status).toBe('completed');
    expect(done.failedBatches).toEqual([]);
    expect(done.totals.lostRows).toBe(0);
    expect(done.totals.rowsMigrated).toBe(done.totals.sourceRows);
    expect(done.totals.sourceRows).toBeGreaterThan(0);
    expect(deadLettered).toEqual([]);
  });

  it('holds validation batches and sync parts while off; they run once it is on', async () => {
    const started = await validationsStart(
      post('http://localhost/api/validations', { mode: 'full' }),
      context('validations-start'),
    );
    expect(started.status).toBe(202);
    const { validationId } = started.jsonBody as { validationId: string };
    await setMigrationEnabled(engine.flags, false);

    const sent = validationQueue.take();
    expect(sent.length).toBeGreaterThan(0);
    for (const message of sent) {
      await validateBatchHandler(
        message.body,
        context('validate-batch', { messageId: message.messageId, deliveryCount: 1 }),
      );
    }
    const copies = validationQueue.take();
    expect(copies).toEqual(
      sent.map((m) => ({ messageId: `${m.messageId}#paused-1`, body: m.body })),
    );
    expect(copies.map((m) => validationQueue.delays.get(m.messageId))).toEqual(
      copies.map(() => 1000),
    );
    expect((await getValidation(engine, validationId)).status).toBe('running');

    const part = { roundId: 'round-paused-1', seq: 0 };
    await syncBatch(part, context('sync-batch', { messageId: 'syncbatch:round-paused-1:0#1' }));
    expect(syncQueue.take()).toEqual([
      { messageId: 'syncbatch:round-paused-1:0#1#paused-1', body: part },
    ]);

    await setMigrationEnabled(engine.flags, true);
    for (let batch = copies; batch.length > 0; batch = validationQueue.take()) {
      for (const message of batch)
        await validateBatchHandler(
          message.body,
          context('validate-batch', { messageId: message.messageId, deliveryCount: 1 }),
        );
    }
    expect((await getValidation(engine, validationId)).status).toBe('completed');
    // On again, the part reaches its use case (this one was never planned: skipped).
    await syncBatch(part, context('sync-batch', { messageId: 'syncbatch:round-paused-1:0#1' }));
    expect(syncQueue.take()).toEqual([]);
    expect(logs).toContain('sync part round-paused-1/0 skipped: unknown-batch');
  });

  it('skips the timers while off, logging it', async () => {
    await setMigrationEnabled(engine.flags, false);
    const before = await engine.validations.latestValidationId();
    logs.length = 0;
    await validationSchedule(tick, context('validation-schedule'));
    await syncChanges(tick, context('sync-changes'));
    expect(logs).toEqual([
      'scheduled validation skipped: Migration.Enabled is off',
      'sync-changes skipped: Migration.Enabled is off (the slot keeps the changes)',
    ]);
    expect(await engine.validations.latestValidationId()).toBe(before);

    await setMigrationEnabled(engine.flags, true);
    await validationSchedule(tick, context('validation-schedule'));
    expect(await engine.validations.latestValidationId()).not.toBe(before);
    expect(logs.some((line) => /^scheduled validation val-\S+: completed/.test(line))).toBe(true);
  });

  it('fails a message normally when the flag was never read and cannot be', async () => {
    const broken = path.join(path.dirname(flagsFile), 'broken.json');
    fs.writeFileSync(broken, '{ not json');
    const cold = world.engine({ FEATURE_FLAGS_FILE: broken, MIGRATION_FLAG_CACHE_SECONDS: '0' });
    useFunctionsEngine(cold);
    try {
      await expect(
        migrateBatchHandler(
          { runId: 'run-cold', batchId: 'run-cold:users:000000', entity: 'users' },
          context('migrate-batch', { messageId: 'run-cold:users:000000', deliveryCount: 1 }),
        ),
      ).rejects.toMatchObject({ code: 'MIGRATION_FLAG_UNREADABLE' });
    } finally {
      useFunctionsEngine(engine);
    }
  });
});
