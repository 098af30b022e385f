import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import {
  AppConfig,
  effectiveSettings,
  parseConfig,
  Settings,
  useConfig,
} from '../shared/config/config';
import { createCosmosClient } from '../shared/cosmos/client';
import { initTarget } from '../shared/cosmos/target';
import { AppError } from '../shared/errors/app-error';
import { startEmbeddedPostgres } from '../shared/local/embedded-postgres';
import { ensureLocalCosmos } from '../shared/local/persistent-cosmos';
import { initSource } from '../shared/source/schema';
import { seedSource } from '../shared/source/seed';
import { HostLog } from './invoke';

export interface HostSettings {
  config: AppConfig;
  /** Every setting in force, for `%NAME%` binding expressions. */
  settings: Settings;
  /** Stops what local mode started (the embedded PostgreSQL; the local Cosmos server stays). */
  stop(): Promise<void>;
}

/** Sample size seeded into an empty local-mode source, so there is something to migrate. */
export const LOCAL_SAMPLE_USERS = 1000;

/** `Values` of local.settings.json, as Core Tools reads them; none when the file is absent. */
export function readLocalSettings(file: string): Settings {
  if (!fs.existsSync(file)) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new AppError(
      'HOST_SETTINGS_INVALID',
      `${file} is not valid JSON: ${(error as Error).message}`,
    );
  }
  const values = (parsed as { Values?: unknown }).Values;
  if (values === undefined) return {};
  if (typeof values !== 'object' || values === null || Array.isArray(values)) {
    throw new AppError('HOST_SETTINGS_INVALID', `${file}: "Values" must be an object of settings`);
  }
  return Object.fromEntries(Object.entries(values).map(([key, value]) => [key, String(value)]));
}

/**
 * The host's settings: the environment, then local.settings.json `Values`. What names no
 * source starts an embedded PostgreSQL (its data in `<stateDir>/host/postgres`, seeded with a
 * sample when empty); what names no Cosmos account uses the local Cosmos server the CLI
 * shares (kept running between commands), with its containers created.
 */
export async function resolveHostSettings(
  stateDir: string,
  localSettingsFile: string,
  log: HostLog,
): Promise<HostSettings> {
  const fallbacks = readLocalSettings(localSettingsFile);
  const base = parseConfig({}, fallbacks);
  const overrides: Settings = {};
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const fn of stops.reverse()) await fn().catch(() => undefined);
  };
  try {
    if (!base.source.url) {
      const dataDir = path.join(stateDir, 'host', 'postgres');
      const postgres = await startEmbeddedPostgres({ dataDir, persistent: true });
      stops.push(() => postgres.stop());
      overrides.DATABASE_URL = postgres.url;
      log(
        'information',
        `local mode: embedded PostgreSQL at ${postgres.url.replace(/:[^:@/]+@/, ':***@')} (data in ${path.relative(process.cwd(), dataDir) || dataDir})`,
      );
      const seeded = await seedWhenEmpty(postgres.url);
      if (seeded)
        log(
          'information',
          `local mode: seeded a sample of ${seeded} rows (${LOCAL_SAMPLE_USERS} users) into the empty source`,
        );
    }
    if (!base.cosmos.endpoint) {
      const cosmos = await ensureLocalCosmos(stateDir);
      overrides.COSMOS_ENDPOINT = cosmos.endpoint;
      overrides.COSMOS_KEY = cosmos.key;
      log(
        'information',
        `local mode: ${cosmos.reused ? '' : 'started '}local Cosmos server at ${cosmos.endpoint} (pid ${cosmos.pid}; in memory, kept running until \`cosmos-migration stop-local\`)`,
      );
    }
    const config = parseConfig(overrides, fallbacks);
    useConfig(config);
    if (overrides.COSMOS_ENDPOINT) {
      const client = createCosmosClient(config.cosmos);
      await initTarget(client, config.cosmos.database, config.cosmos.throughputMode).finally(() =>
        client.dispose(),
      );
    }
    return { config, settings: effectiveSettings(overrides, fallbacks), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Creates the schema; seeds the sample when the users table is empty. Returns rows seeded. */
async function seedWhenEmpty(url: string): Promise<number | undefined> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await initSource(client);
    const { rows } = await client.query<{ any: boolean }>(
      'SELECT EXISTS (SELECT 1 FROM users) AS any',
    );
    if (rows[0]?.any) return undefined;
    const summary = await seedSource(client, { users: LOCAL_SAMPLE_USERS });
    return summary.total;
  } finally {
    await client.end();
  }
}
