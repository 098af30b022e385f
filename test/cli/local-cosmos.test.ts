import { spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { CosmosClient } from '@azure/cosmos';
import { describe, expect, it } from 'vitest';

const BIN = path.resolve(__dirname, '../../bin/cosmos-migration.js');

describe('cosmos-migration local-cosmos', () => {
  it('serves a Cosmos API any client can use, prints endpoint and key, stops on Ctrl-C', async () => {
    const child = spawn(process.execPath, [BIN, 'local-cosmos', '--port', '0', '--json'], {
      env: { ...process.env, CI: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    let stdout = '';
    const printed = await new Promise<{ endpoint: string; key: string }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no endpoint printed: ${stdout}`)), 60_000);
      readline.createInterface({ input: child.stdout }).on('line', (line) => {
        stdout += `${line}\n`;
        try {
          const value = JSON.parse(stdout) as { endpoint: string; key: string };
          clearTimeout(timer);
          resolve(value);
        } catch {
          // the JSON document is not complete yet
        }
      });
    });
    expect(printed.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const client = new CosmosClient({
      endpoint: printed.endpoint,
      key: printed.key,
      connectionPolicy: { enableEndpointDiscovery: false },
    });
    const { database } = await client.databases.createIfNotExists({ id: 'probe' });
    const { container } = await database.containers.createIfNotExists({
      id: 'c',
      partitionKey: '/pk',
    });
    await container.items.upsert({ id: 'a', pk: 'p', n: 1 });
    const { resource } = await container.item('a', 'p').read<{ n: number }>();
    expect(resource?.n).toBe(1);
    client.dispose();
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  });
});
