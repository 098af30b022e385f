import { Container, CosmosClient } from '@azure/cosmos';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChangeFeedTrigger, CosmosTriggerOptions } from '../../src/host/change-feed-trigger';
import { HostLog } from '../../src/host/invoke';
import { Registration } from '../../src/host/registrations';
import { parseConfig } from '../../src/shared/config/config';
import { createCosmosClient } from '../../src/shared/cosmos/client';
import { cosmosTarget, uniqueName } from '../support/servers';

const until = async (condition: () => boolean, what: string, timeoutMs = 20_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

describe('Cosmos DB triggers of the host, fed by the change feed with leases', () => {
  let client: CosmosClient;
  let database: string;
  let items: Container;
  let leases: Container;
  const lines: string[] = [];
  const log: HostLog = (_level, line) => lines.push(line);

  const options = (prefix: string): CosmosTriggerOptions => ({
    databaseName: database,
    containerName: 'items',
    leaseDatabaseName: database,
    leaseContainerName: 'leases',
    leaseContainerPrefix: prefix,
    startFromBeginning: true,
    maxItemsPerInvocation: 10,
    feedPollDelayMs: 50,
    leaseExpirationMs: 60_000,
    leaseRenewMs: 17_000,
  });

  /** A trigger whose handler records the ids of each batch (or fails, when told to). */
  const trigger = (prefix: string, fail = () => false) => {
    const batches: string[][] = [];
    const registration: Registration = {
      name: `probe-${prefix}`,
      trigger: { type: 'cosmosDBTrigger', direction: 'in' },
      retry: { retryStrategy: 'fixedDelay', maxRetryCount: 1, delayInterval: { seconds: 0 } },
      handler: (documents) => {
        batches.push((documents as { id: string }[]).map((d) => d.id));
        if (fail()) throw new Error('handler failed');
      },
    };
    const stopping = new AbortController();
    const running = new ChangeFeedTrigger(
      registration,
      options(prefix),
      client,
      log,
      stopping.signal,
    );
    return {
      batches,
      ids: () => new Set(batches.flat()),
      start: () => running.start(),
      stop: async () => {
        stopping.abort();
        await running.stopped();
      },
    };
  };

  const write = (from: number, to: number) =>
    Promise.all(
      Array.from({ length: to - from }, (_, i) =>
        items.items.upsert({ id: `doc-${from + i}`, pk: `p${(from + i) % 3}`, n: from + i }),
      ),
    );

  beforeAll(async () => {
    const { endpoint, key } = cosmosTarget();
    client = createCosmosClient(parseConfig({ COSMOS_ENDPOINT: endpoint, COSMOS_KEY: key }).cosmos);
    database = uniqueName('feed');
    const { database: db } = await client.databases.createIfNotExists({ id: database });
    ({ container: items } = await db.containers.createIfNotExists({
      id: 'items',
      partitionKey: '/pk',
    }));
    ({ container: leases } = await db.containers.createIfNotExists({
      id: 'leases',
      partitionKey: '/id',
    }));
  });

  afterAll(() => client?.dispose());

  it('delivers what was written before and after it started, in batches, and goes on from its lease after a stop', async () => {
    await write(0, 25);
    const first = trigger('a-');
    await first.start();
    await until(() => first.ids().size === 25, '25 changes');
    expect(Math.max(...first.batches.map((b) => b.length))).toBeLessThanOrEqual(10);
    await write(25, 30);
    await until(() => first.ids().size === 30, '5 more changes');
    await first.stop();
    const { resource: lease } = await leases
      .item(`a-${database}.items..0`, `a-${database}.items..0`)
      .read();
    expect(lease).toMatchObject({ owner: null });
    expect(typeof lease.continuation).toBe('string');

    await write(30, 33);
    const second = trigger('a-');
    await second.start();
    await until(() => second.ids().size === 3, 'the changes made while stopped');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect([...second.ids()].sort()).toEqual(['doc-30', 'doc-31', 'doc-32']);
    await second.stop();
  });

  it('leaves a range to the host that holds its lease', async () => {
    const holder = trigger('b-');
    await holder.start();
    await until(() => holder.ids().size >= 33, 'the holder catching up');
    const other = trigger('b-');
    await other.start();
    await write(33, 36);
    await until(() => holder.ids().has('doc-35'), 'the holder seeing new changes');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(other.ids().size).toBe(0);
    expect(lines.some((line) => /lease b-.* is held by another host/.test(line))).toBe(true);
    await Promise.all([holder.stop(), other.stop()]);
  });

  it('retries a failing batch under the retry policy, then checkpoints it and goes on', async () => {
    // The first batch fails on its first delivery and on its one retry.
    const probe = trigger('c-', () => probe.batches.length <= 2);
    await probe.start();
    await until(() => probe.ids().size >= 36, 'every change');
    // The first batch ran twice (once, then its one retry) and was not delivered again.
    expect(probe.batches[0]).toEqual(probe.batches[1]);
    const deliveries = probe.batches.flat();
    expect(deliveries.length).toBe(36 + probe.batches[0]!.length);
    expect(
      lines.some((line) =>
        /\[probe-c-\] \d+ changes checkpointed after the invocation failed/.test(line),
      ),
    ).toBe(true);
    await probe.stop();
  });
});
