import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node' with { 'resolution-mode': 'import' };
import { startEmbeddedPostgres } from '../../src/shared/local/embedded-postgres';
import { startLocalCosmos } from '../../src/shared/local/local-cosmos';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
    cosmosEndpoint: string;
    cosmosKey: string;
  }
}

/** TEST_SERVER_LOGS=1 shows what the servers print; quiet otherwise. */
const onLog = process.env.TEST_SERVER_LOGS ? (line: string) => console.error(line) : undefined;

/** One real PostgreSQL and one Cosmos-API server for the whole run; each test file uses its own databases. */
export default async function setup(project: TestProject) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cosmos-migration-test-'));
  // mkdtemp makes it 0700, and as root the server runs as the postgres user.
  fs.chmodSync(root, 0o755);
  const started = await Promise.allSettled([
    startEmbeddedPostgres({ dataDir: path.join(root, 'postgres'), persistent: false, onLog }),
    startLocalCosmos({ onLog }),
  ]);
  const teardown = async () => {
    await Promise.all(started.map((s) => (s.status === 'fulfilled' ? s.value.stop() : undefined)));
    fs.rmSync(root, { recursive: true, force: true });
  };
  const [postgres, cosmos] = started;
  if (postgres.status === 'rejected' || cosmos.status === 'rejected') {
    await teardown();
    throw postgres.status === 'rejected'
      ? postgres.reason
      : (cosmos as PromiseRejectedResult).reason;
  }
  project.provide('postgresUrl', postgres.value.url);
  project.provide('cosmosEndpoint', cosmos.value.endpoint);
  project.provide('cosmosKey', cosmos.value.key);
  return teardown;
}
