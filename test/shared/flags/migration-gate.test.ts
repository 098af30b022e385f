import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../../src/shared/errors/app-error';
import { defaultFlag, FLAG, FLAG_NAMES } from '../../../src/shared/flags/feature-flags';
import { FileFlagStore } from '../../../src/shared/flags/file-flag-store';
import { FlagSnapshot, FlagStore } from '../../../src/shared/flags/flag-store';
import {
  holdWhilePaused,
  pauseDelayMs,
  pausedMessageId,
} from '../../../src/shared/flags/hold-while-paused';
import { createMigrationGate } from '../../../src/shared/flags/migration-gate';
import { QueueMessage, SendOptions } from '../../../src/shared/queue/queue';

/** A store whose Migration.Enabled (or failure) the test sets, counting its reads. */
function fakeStore() {
  const store = {
    location: 'fake-store',
    reads: 0,
    enabled: true,
    failure: undefined as Error | undefined,
    pending: undefined as Promise<void> | undefined,
    async read(): Promise<FlagSnapshot> {
      store.reads++;
      await store.pending;
      if (store.failure) throw store.failure;
      const flags = Object.fromEntries(
        FLAG_NAMES.map((name) => [name, { flag: defaultFlag(name), etag: null }]),
      ) as FlagSnapshot['flags'];
      flags[FLAG.migrationEnabled].flag.enabled = store.enabled;
      return { flags, dualWriteStrategy: 'PostgresFirst' };
    },
  };
  return store;
}

const clock = () => {
  let t = 1_000_000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
};

describe('migration gate', () => {
  it('reads the store once per cache period, and again after it', async () => {
    const store = fakeStore();
    const time = clock();
    const gate = createMigrationGate(store, { cacheMs: 5_000, now: time.now });
    expect(await gate.read()).toEqual({ open: true });
    store.enabled = false;
    time.advance(4_999);
    expect(await gate.read()).toEqual({ open: true });
    expect(store.reads).toBe(1);
    time.advance(1);
    expect(await gate.read()).toEqual({ open: false });
    expect(store.reads).toBe(2);
  });

  it('shares one read among the messages asking at once', async () => {
    const store = fakeStore();
    let release!: () => void;
    store.pending = new Promise((resolve) => (release = resolve));
    const gate = createMigrationGate(store, { cacheMs: 0 });
    const readings = Promise.all([gate.read(), gate.read(), gate.read()]);
    release();
    expect(await readings).toEqual([{ open: true }, { open: true }, { open: true }]);
    expect(store.reads).toBe(1);
  });

  it('keeps the last value read while the store cannot be read, saying why, without hammering it', async () => {
    const store = fakeStore();
    const time = clock();
    const gate = createMigrationGate(store, { cacheMs: 1_000, now: time.now });
    store.enabled = false;
    expect(await gate.read()).toEqual({ open: false });
    store.failure = new Error('getaddrinfo ENOTFOUND');
    time.advance(1_000);
    const stale = await gate.read();
    expect(stale).toEqual({
      open: false,
      staleBecause: expect.stringMatching(
        /cannot read Migration\.Enabled from fake-store: getaddrinfo ENOTFOUND/,
      ) as string,
    });
    expect(await gate.read()).toEqual(stale);
    expect(store.reads).toBe(2);
    store.failure = undefined;
    store.enabled = true;
    time.advance(1_000);
    expect(await gate.read()).toEqual({ open: true });
  });

  it('fails with MIGRATION_FLAG_UNREADABLE when the first read fails, and reads again after the cache period', async () => {
    const store = fakeStore();
    const time = clock();
    store.failure = new Error('403 Forbidden');
    const gate = createMigrationGate(store, { cacheMs: 1_000, now: time.now });
    const first = await gate.read().catch((error: unknown) => error);
    expect(first).toBeInstanceOf(AppError);
    expect(first).toMatchObject({ code: 'MIGRATION_FLAG_UNREADABLE', status: 503 });
    expect((first as Error).message).toMatch(/403 Forbidden/);
    await expect(gate.read()).rejects.toMatchObject({ code: 'MIGRATION_FLAG_UNREADABLE' });
    expect(store.reads).toBe(1);
    store.failure = undefined;
    time.advance(1_000);
    expect(await gate.read()).toEqual({ open: true });
  });

  it('reads the flag file: a file gone bad keeps the value read before it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gate-'));
    const file = path.join(dir, 'feature-flags.json');
    const flags: FlagStore = new FileFlagStore(file);
    const gate = createMigrationGate(flags, { cacheMs: 0 });
    // No file: the default, which is on.
    expect(await gate.read()).toEqual({ open: true });
    const { flags: stored } = await flags.read();
    const migration = stored[FLAG.migrationEnabled];
    await flags.write([{ ...migration, flag: { ...migration.flag, enabled: false } }]);
    expect(await gate.read()).toEqual({ open: false });
    fs.writeFileSync(file, '{ not json');
    expect(await gate.read()).toMatchObject({
      open: false,
      staleBecause: expect.stringMatching(/is not JSON/) as string,
    });
  });
});

describe('holding a message while paused', () => {
  const delays = { requeueDelayMs: 30_000, maxRequeueDelayMs: 300_000 };

  it('derives the copy id from the delivered one, counting the pauses', () => {
    expect(pausedMessageId('run-1:users:000001')).toEqual({
      messageId: 'run-1:users:000001#paused-1',
      pauses: 1,
    });
    expect(pausedMessageId('run-1:users:000001#resume-2#paused-9')).toEqual({
      messageId: 'run-1:users:000001#resume-2#paused-10',
      pauses: 10,
    });
  });

  it('waits twice as long with each pause of the same message, up to the max', () => {
    expect([1, 2, 3, 4, 5, 6, 50].map((n) => pauseDelayMs(n, delays))).toEqual([
      30_000, 60_000, 120_000, 240_000, 300_000, 300_000, 300_000,
    ]);
  });

  it('sends the same body back under the derived id and delay when off; nothing when on', async () => {
    const store = fakeStore();
    const sent: { messages: QueueMessage<{ n: number }>[]; options?: SendOptions }[] = [];
    const queue = {
      send: async (messages: QueueMessage<{ n: number }>[], options?: SendOptions) =>
        void sent.push({ messages, options }),
    };
    const deps = { gate: createMigrationGate(store, { cacheMs: 0 }), queue, delays };
    const delivered = { messageId: 'm#paused-1', fallbackId: 'm', body: { n: 7 } };

    expect(await holdWhilePaused(deps, delivered)).toEqual({ kind: 'open' });
    expect(sent).toEqual([]);

    store.enabled = false;
    expect(await holdWhilePaused(deps, delivered)).toEqual({
      kind: 'held',
      requeuedAs: 'm#paused-2',
      pauses: 2,
      delayMs: 60_000,
    });
    expect(sent).toEqual([
      { messages: [{ messageId: 'm#paused-2', body: { n: 7 } }], options: { delayMs: 60_000 } },
    ]);
    // A delivery without a trigger id (a direct call) starts from the id it was sent with.
    const direct = await holdWhilePaused(deps, { ...delivered, messageId: undefined });
    expect(direct).toMatchObject({ kind: 'held', requeuedAs: 'm#paused-1', delayMs: 30_000 });
  });

  it('throws when the copy cannot be sent, so the delivery is retried as a failure', async () => {
    const store = fakeStore();
    store.enabled = false;
    const queue = {
      send: () => Promise.reject(new Error('ServiceBusError: ServiceUnavailable')),
    };
    await expect(
      holdWhilePaused(
        { gate: createMigrationGate(store, { cacheMs: 0 }), queue, delays },
        { messageId: 'm', fallbackId: 'm', body: {} },
      ),
    ).rejects.toThrow(/ServiceUnavailable/);
  });
});
