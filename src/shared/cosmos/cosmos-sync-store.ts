import { Container, CosmosClient } from '@azure/cosmos';
import { SyncState, SYNC_STATE_ID } from '../sync/records';
import { SyncStore } from '../sync/sync-store';
import { MIGRATION_CONTAINER } from './containers';

/** The sync state document in the `migration` container, read and written by point operations. */
export class CosmosSyncStore implements SyncStore {
  private readonly container: Container;

  constructor(client: CosmosClient, database: string) {
    this.container = client.database(database).container(MIGRATION_CONTAINER);
  }

  async get(): Promise<SyncState | undefined> {
    try {
      const { resource } = await this.container
        .item(SYNC_STATE_ID, SYNC_STATE_ID)
        .read<SyncState>();
      return resource ?? undefined;
    } catch (error) {
      if ((error as { code?: number }).code === 404) return undefined;
      throw error;
    }
  }

  async save(state: SyncState): Promise<void> {
    await this.container.items.upsert(state);
  }

  async remove(): Promise<void> {
    await this.container
      .item(SYNC_STATE_ID, SYNC_STATE_ID)
      .delete()
      .catch((error: { code?: number }) => {
        if (error.code !== 404) throw error;
      });
  }
}
