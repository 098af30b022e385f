/** Why one source row could not become documents. The row is reported, never altered to fit. */
export class RowError extends Error {
  constructor(
    readonly code: RowErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'RowError';
  }
}

export type RowErrorCode =
  | 'NON_FINITE_NUMBER'
  | 'UNREPRESENTABLE_NUMBER'
  | 'INVALID_TIMESTAMP'
  /** An id that is empty or holds / \ ? # (free text is encoded, so only a bug makes one). */
  | 'INVALID_ID'
  /** An id over Cosmos's 1,023 bytes (UTF-8); see `MAX_ID_BYTES`. */
  | 'ID_TOO_LONG'
  /** A partition key value over Cosmos's 2,048 bytes (UTF-8); see `MAX_PARTITION_KEY_BYTES`. */
  | 'PARTITION_KEY_TOO_LONG'
  | 'MISSING_KEY'
  | 'DOCUMENT_TOO_LARGE'
  | 'WRITE_REJECTED';

/** A row error as recorded in a run. */
export interface RowErrorRecord {
  table: string;
  id: string;
  code: RowErrorCode;
  message: string;
}

/** A document Cosmos refused to store, reported as its row's error (413: over the size limit). */
export function rejectedRowError(
  table: string,
  rowId: string,
  rejected: { id: string; status: number; message: string },
): RowErrorRecord {
  return {
    table,
    id: rowId,
    code: rejected.status === 413 ? 'DOCUMENT_TOO_LARGE' : 'WRITE_REJECTED',
    message: `document ${rejected.id}: ${rejected.message}`,
  };
}
