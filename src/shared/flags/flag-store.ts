import { DualWriteStrategy, FeatureFlag, FlagName } from './feature-flags';

/** A flag as stored, with the version it was read at (null: not stored yet). */
export interface StoredFlag {
  flag: FeatureFlag;
  etag: string | null;
  /** App Configuration tags, carried over on every write. */
  tags?: Record<string, string>;
}

export interface FlagSnapshot {
  /** Every migration flag; one the store does not hold yet comes with its default, etag null. */
  flags: Record<FlagName, StoredFlag>;
  dualWriteStrategy: DualWriteStrategy;
}

/**
 * Where the cutover flags live: App Configuration in Azure, a JSON file locally. Writes are
 * guarded: each flag is written only if it is still at the etag it was read at.
 */
export interface FlagStore {
  /** Where, for messages: an endpoint or a file path. */
  readonly location: string;
  read(): Promise<FlagSnapshot>;
  /**
   * Writes these flags in this order, each only if unchanged since it was read; throws
   * `FLAGS_CONFLICT` (409) at the first that changed (App Configuration has written the ones
   * before it; the file writes all or none).
   */
  write(flags: StoredFlag[]): Promise<void>;
}
