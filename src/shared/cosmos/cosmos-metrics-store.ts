import { Container, CosmosClient } from '@azure/cosmos';
import { METRICS_PK, OperationWindow, OperationWindowStore } from '../app-data/operation-metrics';
import { MIGRATION_CONTAINER } from './containers';

/** The router's metric windows in the `migration` container (pk `metrics`, each with a TTL). */
export class CosmosMetricsStore implements OperationWindowStore {
  private readonly container: Container;

  constructor(client: CosmosClient, database: string) {
    this.container = client.database(database).container(MIGRATION_CONTAINER);
  }

  async save(window: OperationWindow): Promise<void> {
    await this.container.items.upsert(window);
  }

  async windowsSince(start: string): Promise<OperationWindow[]> {
    const { resources } = await this.container.items
      .query<OperationWindow>(
        {
          query:
            "SELECT * FROM c WHERE c.pk = @pk AND c.type = 'operationWindow' AND c.start >= @start",
          parameters: [
            { name: '@pk', value: METRICS_PK },
            { name: '@start', value: start },
          ],
        },
        { partitionKey: METRICS_PK },
      )
      .fetchAll();
    return resources;
  }
}
