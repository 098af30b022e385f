import { CosmosClient, ErrorResponse } from '@azure/cosmos';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres } from '../../../src/shared/local/embedded-postgres';
import { FaultProxy, startFaultProxy } from '../../support/fault-proxy';
import { cosmosTarget, freshDatabase, uniqueName } from '../../support/servers';

async function query<T>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}

function cosmosClient(endpoint: string, retries?: number): CosmosClient {
  return new CosmosClient({
    endpoint,
    key: cosmosTarget().key,
    // Discovery would switch the client to the https address the server advertises.
    connectionPolicy: {
      enableEndpointDiscovery: false,
      ...(retries === undefined ? {} : { retryOptions: { maxRetryAttemptCount: retries } }),
    },
  });
}

/** A 0755 temporary directory: as root the server runs as the postgres user. */
function tempRoot(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'local-servers-test-'));
  fs.chmodSync(root, 0o755);
  return root;
}

describe('shared PostgreSQL', () => {
  it('serves a fresh database with logical WAL and UTF8', async () => {
    const url = await freshDatabase('Local-Servers');
    expect(new URL(url).pathname).toMatch(/^\/local_servers_[0-9a-f]{8}$/);
    expect(await query(url, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
    expect(await query(url, 'SHOW wal_level')).toEqual([{ wal_level: 'logical' }]);
    expect(await query(url, 'SHOW server_encoding')).toEqual([{ server_encoding: 'UTF8' }]);
  });
});

describe('startEmbeddedPostgres on a persistent data directory', () => {
  let root: string;
  beforeAll(() => {
    root = tempRoot();
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('keeps its data across stop and start, and stop can be called twice', async () => {
    const dataDir = path.join(root, 'reuse');
    const first = await startEmbeddedPostgres({ dataDir, persistent: true });
    const url = await first.createDatabase('kept');
    await query(url, "CREATE TABLE t (v text); INSERT INTO t VALUES ('still here')");
    await first.stop();
    await first.stop();

    const lines: string[] = [];
    const second = await startEmbeddedPostgres({
      dataDir,
      persistent: true,
      onLog: (line) => lines.push(line),
    });
    try {
      expect(lines.join('\n')).not.toMatch(/initdb|creating subdirectories/);
      expect(await query(second.url.replace(/\/postgres$/, '/kept'), 'SELECT v FROM t')).toEqual([
        { v: 'still here' },
      ]);
    } finally {
      await second.stop();
    }
    expect(fs.existsSync(path.join(dataDir, 'PG_VERSION'))).toBe(true);
  });

  it('starts over a postmaster.pid whose pid now belongs to another process', async () => {
    const dataDir = path.join(root, 'stale');
    await (await startEmbeddedPostgres({ dataDir, persistent: true })).stop();
    const stranger = spawn('sleep', ['60']);
    try {
      const pidFile = path.join(dataDir, 'postmaster.pid');
      fs.writeFileSync(pidFile, `${stranger.pid}\n${dataDir}\n`);
      const server = await startEmbeddedPostgres({ dataDir, persistent: true });
      expect(await query(server.url, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
      await server.stop();
    } finally {
      stranger.kill();
    }
  });

  it('stops the server a killed process left behind, then starts on the same data', async () => {
    const dataDir = path.join(root, 'orphan');
    const module = path.resolve('src/shared/local/embedded-postgres.ts');
    const script = `require(${JSON.stringify(module)}).startEmbeddedPostgres({ dataDir: ${JSON.stringify(dataDir)}, persistent: true })
      .then((pg) => pg.createDatabase('left')).then(() => console.log('ready'));
      setInterval(() => {}, 1000);`;
    const owner = spawn(process.execPath, ['--require', 'tsx/cjs', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      owner.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
      owner.once('exit', (code) => reject(new Error(`owner exited with ${code}`)));
    });
    owner.kill('SIGKILL');
    await new Promise((resolve) => owner.once('exit', resolve));
    const orphan = Number(
      fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0],
    );
    expect(() => process.kill(orphan, 0)).not.toThrow();

    const server = await startEmbeddedPostgres({ dataDir, persistent: true });
    try {
      expect(
        await query(server.url, "SELECT datname FROM pg_database WHERE datname = 'left'"),
      ).toHaveLength(1);
    } finally {
      await server.stop();
    }
  });

  it('a non-persistent cluster removes its data directory on stop', async () => {
    const dataDir = path.join(root, 'throwaway');
    const server = await startEmbeddedPostgres({ dataDir });
    await server.stop();
    expect(fs.existsSync(dataDir)).toBe(false);
  });
});

describe('shared Cosmos server', () => {
  async function itemsContainer(client: CosmosClient) {
    const { database } = await client.databases.createIfNotExists({ id: uniqueName('local') });
    const { container } = await database.containers.createIfNotExists({
      id: 'items',
      partitionKey: { paths: ['/pk'] },
    });
    return { database, container };
  }

  it('creates a database and container, upserts and reads a document', async () => {
    const client = cosmosClient(cosmosTarget().endpoint);
    try {
      const { database, container } = await itemsContainer(client);
      await container.items.upsert({ id: 'a', pk: 'p1', value: 1 });
      const { resource } = await container.item('a', 'p1').read<{ value: number }>();
      expect(resource?.value).toBe(1);
      await database.delete();
    } finally {
      client.dispose();
    }
  });

  it('answers bulk writes without their documents when asked to, as Cosmos does, and reads with them', async () => {
    const client = cosmosClient(cosmosTarget().endpoint);
    try {
      const { database, container } = await itemsContainer(client);
      const upsert = (id: string) =>
        ({ operationType: 'Upsert', partitionKey: 'p1', resourceBody: { id, pk: 'p1' } }) as const;
      const echoed = await container.items.bulk([upsert('a')]);
      expect(echoed[0]?.resourceBody).toMatchObject({ id: 'a' });

      const minimal = await container.items.bulk(
        [
          upsert('b'),
          { operationType: 'Read', id: 'a', partitionKey: 'p1' },
          { operationType: 'Create', partitionKey: 'p1', resourceBody: { id: 'a', pk: 'p1' } },
          { operationType: 'Delete', id: 'b', partitionKey: 'p1' },
        ],
        undefined,
        { contentResponseOnWriteEnabled: false },
      );
      expect(minimal.map((r) => r.statusCode)).toEqual([201, 200, 409, 204]);
      expect(minimal[0]?.resourceBody).toBeUndefined();
      // Reads keep their document.
      expect(minimal[1]?.resourceBody).toMatchObject({ id: 'a', pk: 'p1' });
      await database.delete();
    } finally {
      client.dispose();
    }
  });
});

describe('fault proxy', () => {
  let proxy: FaultProxy;
  let client: CosmosClient;
  beforeAll(async () => {
    proxy = await startFaultProxy(cosmosTarget().endpoint);
    client = cosmosClient(proxy.endpoint, 0);
  });
  afterAll(async () => {
    client?.dispose();
    await proxy?.stop();
  });

  it('answers a write with a Cosmos-shaped 429, then lets the next one through', async () => {
    const { database } = await client.databases.createIfNotExists({ id: uniqueName('proxy') });
    const { container } = await database.containers.createIfNotExists({
      id: 'items',
      partitionKey: { paths: ['/pk'] },
    });
    proxy.inject({ status: 429, retryAfterMs: 25, times: 1 });

    const failure = await container.items
      .upsert({ id: 'a', pk: 'p1' })
      .catch((error: ErrorResponse) => error);
    expect(failure).toBeInstanceOf(ErrorResponse);
    expect((failure as ErrorResponse).code).toBe(429);
    expect((failure as ErrorResponse).retryAfterInMs).toBe(25);
    expect((failure as ErrorResponse).body?.code).toBe('TooManyRequests');

    const { statusCode } = await container.items.upsert({ id: 'a', pk: 'p1' });
    expect(statusCode).toBe(201);
    expect(proxy.stats()).toMatchObject({ injected: 1 });
    expect(proxy.stats().forwarded).toBeGreaterThan(0);

    proxy.inject({ status: 503, every: 2, times: 2 });
    const outcomes = [];
    for (let i = 0; i < 6; i++) {
      outcomes.push(
        await container.items.upsert({ id: `b${i}`, pk: 'p1' }).then(
          () => 'ok',
          (error: ErrorResponse) => error.code,
        ),
      );
    }
    expect(outcomes).toEqual(['ok', 503, 'ok', 503, 'ok', 'ok']);
    expect(proxy.stats()).toEqual({ forwarded: 4, injected: 2 });
    proxy.clear();
    await database.delete();
  });

  it('survives dropped connections; the client reconnects', async () => {
    const { database } = await client.databases.createIfNotExists({ id: uniqueName('blip') });
    const { container } = await database.containers.createIfNotExists({
      id: 'items',
      partitionKey: { paths: ['/pk'] },
    });
    await container.items.upsert({ id: 'a', pk: 'p1', value: 1 });
    proxy.dropConnections();
    const { resource } = await container.item('a', 'p1').read<{ value: number }>();
    expect(resource?.value).toBe(1);
    await database.delete();
  });
});
