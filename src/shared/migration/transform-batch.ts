import { CosmosDocument, EntityModule } from '../entities/entity';
import { SourceRow } from '../entities/registry';
import { RowError, RowErrorRecord } from '../entities/row-error';

/** Cosmos caps an item at 2 MB including the system properties it adds (~200 bytes). */
export const MAX_DOCUMENT_BYTES = 2 * 1024 * 1024 - 1024;

export interface TransformedBatch {
  documents: CosmosDocument[];
  /** `owners[i]` is the source row of `documents[i]`, to report a document the server rejects. */
  owners: string[];
  rowsRead: number;
  rowsTransformed: number;
  rowErrors: RowErrorRecord[];
  findings: Record<string, number>;
}

/**
 * Rows to documents. A row that cannot be represented becomes a row error and writes
 * nothing (half a user, without its login lookups, would be worse than none).
 */
export function transformBatch(
  entity: EntityModule<SourceRow>,
  rows: SourceRow[],
): TransformedBatch {
  const result: TransformedBatch = {
    documents: [],
    owners: [],
    rowsRead: rows.length,
    rowsTransformed: 0,
    rowErrors: [],
    findings: {},
  };
  for (const row of rows) {
    const rowId = entity.rowId(row);
    try {
      const documents = entity.toDocuments(row);
      if (mayExceedLimit(row)) documents.forEach(checkSize);
      for (const document of documents) {
        result.documents.push(document);
        result.owners.push(rowId);
      }
      result.rowsTransformed++;
      for (const finding of entity.findings?.(row) ?? []) {
        result.findings[finding] = (result.findings[finding] ?? 0) + 1;
      }
    } catch (error) {
      if (!(error instanceof RowError)) throw error;
      result.rowErrors.push({
        table: entity.table,
        id: rowId,
        code: error.code,
        message: error.message,
      });
    }
  }
  return result;
}

/**
 * A document repeats a row's text at most three times (e.g. username, displayName, lookup id),
 * and JSON takes at most 6 bytes per UTF-16 unit (`\u0000`), so a row below this bound cannot
 * make a document over the limit and skips the exact (serializing) check.
 */
function mayExceedLimit(row: SourceRow): boolean {
  return 3 * 6 * textLength(row) + STRUCTURE_ALLOWANCE >= MAX_DOCUMENT_BYTES;
}

const STRUCTURE_ALLOWANCE = 8 * 1024;

function textLength(value: unknown): number {
  if (typeof value === 'string') return value.length;
  if (value === null || typeof value !== 'object') return 8;
  let total = 0;
  // for...in instead of Object.entries: this runs for every row and allocates nothing.
  for (const key in value) {
    total += key.length + textLength((value as Record<string, unknown>)[key]);
  }
  return total;
}

function checkSize(document: CosmosDocument): void {
  const bytes = Buffer.byteLength(JSON.stringify(document));
  if (bytes > MAX_DOCUMENT_BYTES) {
    throw new RowError(
      'DOCUMENT_TOO_LARGE',
      `${document.type} document would be ${bytes} bytes, over the Cosmos limit of ${MAX_DOCUMENT_BYTES}`,
    );
  }
}
