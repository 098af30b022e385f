import { Container, CosmosClient } from '@azure/cosmos';
import { CUTOVER_AUDIT_PK, CutoverAuditEntry, CutoverAuditStore } from '../cutover/ports';
import { MIGRATION_CONTAINER } from './containers';

/** The cutover's audit trail, in the `migration` container. */
export class CosmosCutoverStore implements CutoverAuditStore {
  private readonly container: Container;

  constructor(client: CosmosClient, database: string) {
    this.container = client.database(database).container(MIGRATION_CONTAINER);
  }

  async record(entry: CutoverAuditEntry): Promise<void> {
    await this.container.items.create(entry);
  }

  async recent(limit: number): Promise<CutoverAuditEntry[]> {
    const { resources } = await this.container.items
      .query<CutoverAuditEntry>(
        {
          query:
            'SELECT TOP @limit * FROM c WHERE c.pk = @pk AND c.type = @type ORDER BY c.at DESC',
          parameters: [
            { name: '@limit', value: limit },
            { name: '@pk', value: CUTOVER_AUDIT_PK },
            { name: '@type', value: 'cutoverAudit' },
          ],
        },
        { partitionKey: CUTOVER_AUDIT_PK },
      )
      .fetchAll();
    return resources.map(withoutSystemProperties);
  }
}

function withoutSystemProperties(entry: CutoverAuditEntry): CutoverAuditEntry {
  const copy: Record<string, unknown> = { ...entry };
  for (const key of Object.keys(copy)) if (key.startsWith('_')) delete copy[key];
  return copy as unknown as CutoverAuditEntry;
}
