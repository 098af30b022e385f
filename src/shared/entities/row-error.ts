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
  | 'INVALID_ID'
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
