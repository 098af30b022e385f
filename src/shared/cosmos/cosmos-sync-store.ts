import { CosmosClient } from '@azure/cosmos';
import { syncBatchId, SyncBatchRecord, SyncState, SYNC_STATE_ID } from '../sync/records';
import { DocumentWriter } from './document-writer';
import { StateContainer } from './state-container';
import { SyncStore } from '../sync/sync-store';

/** The sync's state and its fanned-out parts in the `migration` container, by point operations. */
export class CosmosSyncStore implements SyncStore {
  private readonly state: StateContainer;

  constructor(client: CosmosClient, database: string, writer: DocumentWriter) {
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
}
