import { SyncState } from './records';

/** Where the sync keeps its state (one document per target). */
export interface SyncStore {
  get(): Promise<SyncState | undefined>;
  save(state: SyncState): Promise<void>;
  remove(): Promise<void>;
}
