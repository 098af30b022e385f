import { StoreName } from './repository';
import { WriteRef } from './write-refs';

export const REPLAY_PK = 'replay';

/**
 * A record one store missed a write of (`target`): it is made whole by copying the record's
 * current state from the other store, so one entry stands for every missed write of it.
 */
export interface ReplayEntry {
  id: string;
  pk: typeof REPLAY_PK;
  type: 'replayWrite';
  target: StoreName;
  ref: WriteRef;
  /** The operation whose write missed, last one first seen. */
  operation: string;
  firstFailedAt: string;
  lastFailedAt: string;
  /** Why the write (or the last replay) failed; a message, never data. */
  lastError: string;
  attempts: number;
  _etag?: string;
}

/** The durable queue of missed writes (`migration` container, pk `replay`). */
export interface ReplayQueue {
  /** Records (or refreshes) the entry for this record and store. */
  record(entry: {
    target: StoreName;
    ref: WriteRef;
    operation: string;
    error: string;
    at: string;
  }): Promise<void>;
  pending(): Promise<number>;
  /** The oldest entries first. */
  oldest(limit: number): Promise<ReplayEntry[]>;
  /** Removes the entry unless a newer miss refreshed it since it was read (then: false). */
  resolve(entry: ReplayEntry): Promise<boolean>;
  /** Keeps the entry for the next pass, with the replay's error. */
  retryLater(entry: ReplayEntry, error: string): Promise<void>;
}
