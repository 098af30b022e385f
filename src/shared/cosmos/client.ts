import { CosmosClient, CosmosClientOptions } from '@azure/cosmos';
import https from 'node:https';
import { AppError } from '../errors/app-error';
import { sharedCredential } from '../identity/credential';
import { throttlingPlugin } from './throttling';

export interface CosmosTarget {
  endpoint?: string;
  key?: string;
  maxThrottleRetries: number;
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

export function isLoopback(endpoint: string): boolean {
  return LOOPBACK_HOSTS.has(new URL(endpoint).hostname);
}

/**
 * A Cosmos client for the target. A key is only for local servers and emulators; without
 * one the shared credential (managed identity) signs in. Self-signed certificates are
 * trusted for loopback endpoints only, and local servers have no other regions to discover.
 */
export function createCosmosClient(target: CosmosTarget): CosmosClient {
  if (!target.endpoint) {
    throw new AppError('CONFIG_INVALID', 'COSMOS_ENDPOINT is not set');
  }
  const local = isLoopback(target.endpoint);
  const options: CosmosClientOptions & { plugins: ReturnType<typeof throttlingPlugin>[] } = {
    endpoint: target.endpoint,
    ...(target.key ? { key: target.key } : { aadCredentials: sharedCredential() }),
    connectionPolicy: { enableEndpointDiscovery: !local, requestTimeout: 60_000 },
    userAgentSuffix: 'cosmos-migration',
    plugins: [throttlingPlugin(target.maxThrottleRetries)],
  };
  if (local && target.endpoint.startsWith('https:')) {
    options.agent = new https.Agent({ rejectUnauthorized: false, keepAlive: true });
  }
  return new CosmosClient(options);
}
