import { CosmosClient } from '@azure/cosmos';
import pg from 'pg';
import { createLocalEngine, LocalEngine } from '../../src/cli/local-engine';
import { parseConfig, Settings } from '../../src/shared/config/config';
import { createCosmosClient } from '../../src/shared/cosmos/client';
import { initTarget } from '../../src/shared/cosmos/target';
import { initSource } from '../../src/shared/source/schema';
import { cosmosTarget, freshDatabase, uniqueName } from './servers';

export interface TestWorld {
  sourceUrl: string;
  source: pg.Pool;
  cosmos: CosmosClient;
  database: string;
  /** The settings that point the engine at this world's source and Cosmos database. */
  settings: Record<string, string>;
  engine(settings?: Settings): LocalEngine;
  read<T = Record<string, unknown>>(
    container: string,
    id: string,
    pk: string,
  ): Promise<T | undefined>;
  close(): Promise<void>;
}

/** A fresh source database with the schema, and a fresh Cosmos database with its containers. */
export async function createWorld(
  prefix: string,
  overrides: { cosmosEndpoint?: string } = {},
): Promise<TestWorld> {
  const sourceUrl = await freshDatabase(prefix);
  const source = new pg.Pool({ connectionString: sourceUrl, max: 4 });
  await initSource(source);
  const database = uniqueName(prefix);
  const { endpoint, key } = cosmosTarget();
  const baseSettings = {
    DATABASE_URL: sourceUrl,
    COSMOS_ENDPOINT: endpoint,
    COSMOS_KEY: key,
    COSMOS_DATABASE: database,
  };
  const cosmos = createCosmosClient(parseConfig(baseSettings).cosmos);
  await initTarget(cosmos, database, 'manual');
  const engines: LocalEngine[] = [];
  return {
    sourceUrl,
    source,
    cosmos,
    database,
    settings: baseSettings,
    engine(settings = {}) {
      const engine = createLocalEngine(
        parseConfig({
          ...baseSettings,
          ...(overrides.cosmosEndpoint ? { COSMOS_ENDPOINT: overrides.cosmosEndpoint } : {}),
          ...settings,
        }),
      );
      engines.push(engine);
      return engine;
    },
    async read<T>(container: string, id: string, pk: string) {
      try {
        const { resource } = await cosmos
          .database(database)
          .container(container)
          .item(id, pk)
          .read();
        if (!resource) return undefined;
        const { _rid, _self, _etag, _attachments, _ts, ...document } = resource;
        void [_rid, _self, _etag, _attachments, _ts];
        return document as T;
      } catch (error) {
        if ((error as { code?: number }).code === 404) return undefined;
        throw error;
      }
    },
    async close() {
      for (const engine of engines) await engine.close().catch(() => undefined);
      await source.end();
      cosmos.dispose();
    },
  };
}
