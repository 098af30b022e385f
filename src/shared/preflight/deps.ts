import { CosmosClient } from '@azure/cosmos';
import { AppConfig } from '../config/config';
import { AppError } from '../errors/app-error';
import { sharedCredential } from '../identity/credential';
import { createSourcePool } from '../postgres/pool';
import { reachabilityProbes } from './azure-probes';
import { CosmosTargetInspector } from './cosmos-inspector';
import { PostgresInspector } from './postgres-inspector';
import { PreflightDeps, ReachabilityProbe } from './ports';

export interface PreflightRuntime {
  deps: PreflightDeps;
  /** Ends the source pool; the Cosmos client belongs to the caller. */
  close(): Promise<void>;
}

/**
 * Preflight's adapters from the configuration. Its own small source pool (the same type
 * parsers as the migration's) lives for one preflight: a rare, manual call.
 */
export function createPreflightDeps(
  config: AppConfig,
  cosmos: CosmosClient,
  probes: ReachabilityProbe[] = reachabilityProbes(config, sharedCredential),
): PreflightRuntime {
  if (!config.source.url) throw new AppError('CONFIG_INVALID', 'DATABASE_URL is not set');
  if (!config.cosmos.endpoint) throw new AppError('CONFIG_INVALID', 'COSMOS_ENDPOINT is not set');
  // config.source, not its url: in Azure the password is an Entra token (see createSourcePool).
  const pool = createSourcePool(config.source, {
    max: 2,
    applicationName: 'cosmos-migration-preflight',
  });
  return {
    deps: {
      source: new PostgresInspector(pool),
      target: new CosmosTargetInspector(cosmos, config.cosmos.database, config.cosmos.endpoint),
      probes,
      settings: {
        database: config.cosmos.database,
        throughputMode: config.cosmos.throughputMode,
        ruBudgetPerSecond: config.migration.ruBudgetPerSecond,
        syncName: config.sync.name,
      },
    },
    close: () => pool.end(),
  };
}
