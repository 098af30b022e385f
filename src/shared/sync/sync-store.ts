import { SyncBatchRecord, SyncState } from './records';

/** Where the sync keeps its state (one document per target) and the parts of a fanned-out round. */
export interface SyncStore {
  get(): Promise<SyncState | undefined>;
  save(state: SyncState): Promise<void>;
  saveBatches(batches: SyncBatchRecord[]): Promise<void>;
  getBatch(roundId: string, seq: number): Promise<SyncBatchRecord | undefined>;
  /** The round's parts that exist, in `seq` order. */
  getBatches(roundId: string, parts: number): Promise<SyncBatchRecord[]>;
}
