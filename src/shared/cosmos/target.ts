import { CosmosClient } from '@azure/cosmos';
import { AppError, errorMessage } from '../errors/app-error';
import { CONTAINERS, ContainerDefinition } from './containers';

export type ThroughputMode = 'manual' | 'autoscale' | 'serverless';

function throughputOptions(definition: ContainerDefinition, mode: ThroughputMode) {
  if (mode === 'serverless') return {};
  if (mode === 'autoscale') return { maxThroughput: definition.autoscaleMaxThroughput };
  return { throughput: definition.throughput };
}

/** Creates the database and every container of containers.json, leaving existing ones as they are. */
export async function initTarget(
  client: CosmosClient,
  database: string,
  mode: ThroughputMode,
): Promise<string[]> {
  const { database: db } = await client.databases.createIfNotExists({ id: database });
  const created: string[] = [];
  for (const definition of CONTAINERS) {
    const { statusCode } = await db.containers.createIfNotExists({
      id: definition.name,
      partitionKey: {
        paths: [definition.partitionKeyPath],
        version: definition.partitionKeyVersion,
      },
      ...(definition.indexingPolicy ? { indexingPolicy: definition.indexingPolicy } : {}),
      ...(definition.defaultTtl === null ? {} : { defaultTtl: definition.defaultTtl }),
      ...throughputOptions(definition, mode),
    });
    if (statusCode === 201) created.push(definition.name);
  }
  return created;
}

/**
 * The migration never creates containers (in Azure its data-plane role cannot): it checks
 * they are there and names what is missing.
 */
export async function verifyTarget(
  client: CosmosClient,
  database: string,
  needed: string[],
): Promise<void> {
  const missing: string[] = [];
  for (const name of needed) {
    try {
      await client.database(database).container(name).read();
    } catch (error) {
      if ((error as { code?: number }).code === 404) missing.push(name);
      else throw describeCosmosError(error);
    }
  }
  if (missing.length > 0) {
    throw new AppError(
      'TARGET_MISSING',
      `Cosmos database "${database}" lacks container(s) ${missing.join(', ')}: run \`cosmos-migration init-target\` (or azd provision) first`,
    );
  }
}

/** One line an operator can act on, instead of an SDK stack trace. */
export function describeCosmosError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const { code } = (error ?? {}) as { code?: number | string };
  const message = errorMessage(error).split('\n')[0]!.slice(0, 300);
  if (code === 401 || code === 403) {
    return new AppError(
      'TARGET_AUTH_FAILED',
      `Cosmos DB rejected the credentials (${code}): ${message}`,
    );
  }
  if (
    typeof code === 'string' &&
    /ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT|REQUEST_SEND_ERROR/.test(code)
  ) {
    return new AppError(
      'TARGET_UNREACHABLE',
      `cannot reach Cosmos DB (${code}): check COSMOS_ENDPOINT`,
    );
  }
  return new AppError('TARGET_ERROR', `Cosmos DB error${code ? ` ${code}` : ''}: ${message}`);
}
