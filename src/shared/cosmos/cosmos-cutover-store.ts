import { Container, CosmosClient } from '@azure/cosmos';
import { CUTOVER_AUDIT_PK, CutoverAuditEntry, CutoverAuditStore } from '../cutover/ports';
import { MIGRATION_CONTAINER } from './containers';

/** Failed PostgreSQL writes of cosmos-primary wait here, one document each, until replayed. */
export const REPLAY_PK = 'replay';

/** The cutover's audit trail and its replay queue's size, in the `migration` container. */
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

  async pendingReplays(): Promise<number> {
    const { resources } = await this.container.items
      .query<number>(
        {
          query: "SELECT VALUE COUNT(1) FROM c WHERE c.pk = @pk AND c.type = 'replayWrite'",
          parameters: [{ name: '@pk', value: REPLAY_PK }],
        },
        { partitionKey: REPLAY_PK },
      )
      .fetchAll();
    return resources[0] ?? 0;
  }
}

function withoutSystemProperties(entry: CutoverAuditEntry): CutoverAuditEntry {
  const copy: Record<string, unknown> = { ...entry };
  for (const key of Object.keys(copy)) if (key.startsWith('_')) delete copy[key];
  return copy as unknown as CutoverAuditEntry;
}
