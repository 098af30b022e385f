import { CosmosDocument, EntityModule } from '../entities/entity';
import { SourceRow } from '../entities/registry';
import { RowError, RowErrorRecord } from '../entities/row-error';

/** Cosmos caps an item at 2 MB including the system properties it adds (~200 bytes). */
export const MAX_DOCUMENT_BYTES = 2 * 1024 * 1024 - 1024;

export interface TransformedBatch {
  documents: CosmosDocument[];
  /** Which source row each document came from, to report a document the server rejects. */
  ownerOf: Map<string, string>;
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
    ownerOf: new Map(),
    rowsTransformed: 0,
    rowErrors: [],
    findings: {},
  };
  for (const row of rows) {
    const rowId = entity.rowId(row);
    try {
      const documents = entity.toDocuments(row);
      for (const document of documents) checkSize(document);
      for (const document of documents) {
        result.documents.push(document);
        result.ownerOf.set(`${document.pk}\u0000${document.id}`, rowId);
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

function checkSize(document: CosmosDocument): void {
  const bytes = Buffer.byteLength(JSON.stringify(document));
  if (bytes > MAX_DOCUMENT_BYTES) {
    throw new RowError(
      'DOCUMENT_TOO_LARGE',
      `${document.type} document would be ${bytes} bytes, over the Cosmos limit of ${MAX_DOCUMENT_BYTES}`,
    );
  }
}
