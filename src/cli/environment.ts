import fs from 'node:fs';
import path from 'node:path';
import { AppConfig, parseConfig, Settings, useConfig } from '../shared/config/config';
import { createCosmosClient } from '../shared/cosmos/client';
import { initTarget } from '../shared/cosmos/target';
import { startEmbeddedPostgres } from '../shared/local/embedded-postgres';
import { startLocalCosmos } from '../shared/local/local-cosmos';
import { ensureLocalCosmos } from '../shared/local/persistent-cosmos';
import { Output } from './output';

export interface Environment {
  config: AppConfig;
  stop(): Promise<void>;
}

export interface EnvironmentNeeds {
  source: boolean;
  target: boolean;
  /** Demo: a throw-away PostgreSQL instead of the persistent local one. */
  freshSource?: boolean;
}

/** Where the local mode keeps its PostgreSQL cluster between commands. */
export const LOCAL_STATE_DIR = path.resolve('.cosmos-migration');

/**
 * The settings, with local servers started for what the environment does not name: an embedded PostgreSQL whose data persists in .cosmos-migration/, and an
 * in-memory Cosmos server kept running between commands (the demo gets throw-away ones, and
 * a cutover flags file of its own); in local mode the command also creates the containers.
 */
export async function resolveEnvironment(
  output: Output,
  needs: EnvironmentNeeds,
): Promise<Environment> {
  const base = parseConfig();
  const overrides: Settings = {};
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const fn of stops.reverse()) await fn().catch(() => undefined);
  };
  try {
    if (needs.source && (needs.freshSource || !base.source.url)) {
      const dataDir = needs.freshSource
        ? path.join(LOCAL_STATE_DIR, `demo-postgres-${process.pid}`)
        : path.join(LOCAL_STATE_DIR, 'postgres');
      const postgres = await startEmbeddedPostgres({ dataDir, persistent: !needs.freshSource });
      stops.push(() => postgres.stop());
      overrides.DATABASE_URL = postgres.url;
      output.info(
        `local mode: embedded PostgreSQL at 127.0.0.1:${postgres.port} (data in ${path.relative(process.cwd(), dataDir)})`,
      );
    }
    if (needs.freshSource) {
      // The demo's own flags, fresh each time (postgres-only), never the user's file or store;
      // re-read every second, so its rehearsal's moves reach the router at once.
      const flagsFile = path.join(
        LOCAL_STATE_DIR,
        `demo-flags-${process.pid}`,
        'feature-flags.json',
      );
      const removeFlags = async () =>
        fs.rmSync(path.dirname(flagsFile), { recursive: true, force: true });
      await removeFlags();
      stops.push(removeFlags);
      overrides.FEATURE_FLAGS_FILE = flagsFile;
      overrides.APP_CONFIGURATION_ENDPOINT = '';
      overrides.APP_FLAGS_REFRESH = '1';
      // Its validations run under traffic: a difference still there a second later counts.
      overrides.VALIDATION_RECHECK_SECONDS = '1';
    }
    if (needs.target && needs.freshSource) {
      const cosmos = await startLocalCosmos();
      stops.push(() => cosmos.stop());
      overrides.COSMOS_ENDPOINT = cosmos.endpoint;
      overrides.COSMOS_KEY = cosmos.key;
      output.info(
        `local mode: in-memory Cosmos server at ${cosmos.endpoint} (its data ends with this command)`,
      );
    } else if (needs.target && !base.cosmos.endpoint) {
      const cosmos = await ensureLocalCosmos(LOCAL_STATE_DIR);
      overrides.COSMOS_ENDPOINT = cosmos.endpoint;
      overrides.COSMOS_KEY = cosmos.key;
      output.info(
        `local mode: ${cosmos.reused ? '' : 'started '}in-memory Cosmos server at ${cosmos.endpoint} ` +
          `(pid ${cosmos.pid}; it keeps its data between commands until \`cosmos-migration stop-local\`)`,
      );
    }
    const config = parseConfig(overrides);
    useConfig(config);
    if (overrides.COSMOS_ENDPOINT) {
      const client = createCosmosClient(config.cosmos);
      await initTarget(client, config.cosmos.database, config.cosmos.throughputMode);
      client.dispose();
    }
    return { config, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
