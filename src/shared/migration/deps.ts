import { DocumentWriter } from '../cosmos/document-writer';
import { SourceReader } from '../postgres/source-reader';
import { MessageQueue } from '../queue/queue';
import { BatchMessage } from './records';
import { RunStore } from './run-store';

/** The ports the migration use cases work through. */
export interface MigrationDeps {
  source: SourceReader;
  writer: DocumentWriter;
  store: RunStore;
  queue: MessageQueue<BatchMessage>;
  /** Fails with a clear error when a container the run needs is missing. */
  verifyTarget(containers: string[]): Promise<void>;
  /**
   * Sets up continuous sync (publication, then slot) for the run about to be planned; fails with
   * a clear error when the source cannot decode changes.
   */
  captureChanges(runId: string): Promise<{ slot: string; startLsn: string }>;
}
