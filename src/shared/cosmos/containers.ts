import type { IndexingPolicy } from '@azure/cosmos';
import definitions from './containers.json';

/**
 * The target containers. `containers.json` is the single source of truth, read by the code
 * here and by the Bicep templates, so the two cannot drift.
 */
export interface ContainerDefinition {
  name: string;
  partitionKeyPath: string;
  /**
   * 2: the hash covers the whole key (up to 2 KB). Version 1 hashes only the first 100 bytes,
   * so long keys (lookup documents of long usernames and emails) would share a partition.
   */
  partitionKeyVersion: number;
  /** Manual RU/s. */
  throughput: number;
  /** Max RU/s when the throughput mode is autoscale. */
  autoscaleMaxThroughput: number;
  /** `null` means the Cosmos default policy. */
  indexingPolicy: IndexingPolicy | null;
  /** -1: TTL on without a default, so each tombstone's own `ttl` applies; `null`: TTL off. */
  defaultTtl: number | null;
}

export const CONTAINERS: readonly ContainerDefinition[] =
  definitions.containers as ContainerDefinition[];

export const MIGRATION_CONTAINER = 'migration';
