import { Container, CosmosClient } from '@azure/cosmos';
import { syncBatchId, SyncBatchRecord, SyncState, SYNC_STATE_ID } from '../sync/records';
import { DocumentWriter } from './document-writer';
import { StateContainer } from './state-container';
import { SyncStore } from '../sync/sync-store';
import { MIGRATION_CONTAINER } from './containers';

/** The sync state document in the `migration` container, read and written by point operations. */
export class CosmosSyncStore implements SyncStore {
  private readonly container: Container;

  private readonly state: StateContainer;

  constructor(client: CosmosClient, database: string, writer: DocumentWriter) {
    this.container = client.database(database).container(MIGRATION_CONTAINER);
    this.state = new StateContainer(client, database, writer);
  }

  get(): Promise<SyncState | undefined> {
    return this.state.read<SyncState>(SYNC_STATE_ID, SYNC_STATE_ID);
  }

  save(state: SyncState): Promise<void> {
    return this.state.upsert(state);
  }

  async saveBatches(batches: SyncBatchRecord[]): Promise<void> {
    await this.state.upsertAll(batches);
  }

  getBatch(roundId: string, seq: number): Promise<SyncBatchRecord | undefined> {
    return this.state.read<SyncBatchRecord>(syncBatchId(roundId, seq), SYNC_STATE_ID);
  }

  getBatches(roundId: string, parts: number): Promise<SyncBatchRecord[]> {
    const ids = Array.from({ length: parts }, (_, seq) => syncBatchId(roundId, seq));
    return this.state.readAll<SyncBatchRecord>(ids, SYNC_STATE_ID);
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
