import type { IndexingPolicy } from '@azure/cosmos';
import definitions from './containers.json';

/**
 * The target containers. `containers.json` is the single source of truth, read by the code
 * here and by the Bicep templates, so the two cannot drift.
 */
export interface ContainerDefinition {
  name: string;
  partitionKeyPath: string;
  /** Manual RU/s. */
  throughput: number;
  /** Max RU/s when the throughput mode is autoscale. */
  autoscaleMaxThroughput: number;
  /** `null` means the Cosmos default policy. */
  indexingPolicy: IndexingPolicy | null;
}

export const CONTAINERS: readonly ContainerDefinition[] =
  definitions.containers as ContainerDefinition[];

export const MIGRATION_CONTAINER = 'migration';
