import { CosmosClient } from '@azure/cosmos';
import { describeCosmosError } from '../cosmos/target';
import { ContainerInfo, TargetInspector } from './ports';

const isNotFound = (error: unknown) => (error as { code?: number }).code === 404;

/** The target side of preflight: read-only metadata calls a data-plane role is allowed. */
export class CosmosTargetInspector implements TargetInspector {
  constructor(
    private readonly client: CosmosClient,
    private readonly database: string,
    /** For the report only. */
    private readonly endpoint: string,
  ) {}

  async account(): Promise<{ endpoint: string }> {
    try {
      await this.client.getDatabaseAccount();
      return { endpoint: this.endpoint };
    } catch (error) {
      throw describeCosmosError(error);
    }
  }

  async databaseExists(): Promise<boolean> {
    try {
      await this.client.database(this.database).read();
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw describeCosmosError(error);
    }
  }

  async container(name: string): Promise<ContainerInfo | undefined> {
    try {
      const { resource } = await this.client.database(this.database).container(name).read();
      if (!resource) return undefined;
      return {
        partitionKeyPaths: resource.partitionKey?.paths ?? [],
        // Containers without a version are version 1 (the service's legacy default).
        partitionKeyVersion: resource.partitionKey?.version ?? 1,
        indexingPolicy: resource.indexingPolicy,
        defaultTtl: resource.defaultTtl ?? undefined,
      };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw describeCosmosError(error);
    }
  }
}
