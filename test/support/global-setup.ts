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

/** One real PostgreSQL and one Cosmos-API server for the whole run; each test file uses its own databases. */
export default async function setup(project: TestProject) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cosmos-migration-test-'));
  fs.chmodSync(root, 0o755); // the server runs as the postgres user when tests run as root
  const dataDir = path.join(root, 'postgres');
  const [postgres, cosmos] = await Promise.all([
    startEmbeddedPostgres({ dataDir }),
    startLocalCosmos(),
  ]);
  project.provide('postgresUrl', postgres.url);
  project.provide('cosmosEndpoint', cosmos.endpoint);
  project.provide('cosmosKey', cosmos.key);
  return async () => {
    await Promise.all([postgres.stop(), cosmos.stop()]);
    fs.rmSync(root, { recursive: true, force: true });
  };
}
