import { spawnSync } from 'node:child_process';
import path from 'node:path';
import pg from 'pg';
import { initSource } from '../../src/shared/source/schema';
import { seedSource } from '../../src/shared/source/seed';
import { cosmosTarget, freshDatabase, uniqueName } from './servers';

const BIN = path.resolve(__dirname, '../../bin/cosmos-migration.js');

/** Runs `cosmos-migration` in a child process, as a user would. */
export function cli(args: string[], env: Record<string, string>) {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    env: { ...process.env, CI: 'true', ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A fresh source with the schema and a seeded sample, and settings naming a fresh Cosmos database. */
export async function seededEnvironment(
  prefix: string,
  sample: { users: number; seed: number },
): Promise<{ env: Record<string, string>; pool: pg.Pool }> {
  const url = await freshDatabase(prefix);
  const pool = new pg.Pool({ connectionString: url });
  await initSource(pool);
  await seedSource(pool, sample);
  const { endpoint, key } = cosmosTarget();
  const env = {
    DATABASE_URL: url,
    COSMOS_ENDPOINT: endpoint,
    COSMOS_KEY: key,
    COSMOS_DATABASE: uniqueName(prefix),
  };
  return { env, pool };
}
