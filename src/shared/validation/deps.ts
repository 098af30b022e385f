import { DocumentReader } from '../cosmos/document-reader';
import { DocumentWriter } from '../cosmos/document-writer';
import { SourceReader } from '../postgres/source-reader';
import { SyncGate } from '../sync/sync-gate';
import { MessageQueue } from '../queue/queue';
import { ValidationMessage } from './records';
import { ValidationStore } from './validation-store';

/** The ports the validation use cases work through. */
export interface ValidationDeps {
  source: SourceReader;
  reader: DocumentReader;
  writer: DocumentWriter;
  validations: ValidationStore;
  validationQueue: MessageQueue<ValidationMessage>;
  /** Fails with a clear error when a container the validation needs is missing. */
  verifyTarget(containers: string[]): Promise<void>;
  /** Repairs go through the sync's apply path, with its rounds paused, while a sync follows. */
  syncGate: SyncGate;
  /** Differences are compared again after this long (a live source's in-flight writes settle); 0: not. */
  readonly recheckDelayMs?: number;
}
