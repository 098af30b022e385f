import { CosmosDocument } from '../entities/entity';
import { entityModule } from '../entities/registry';
import { conflict } from '../errors/app-error';
import { refKey } from '../cosmos/document-reader';
import { transformBatch } from '../migration/transform-batch';
import { ValidationDeps } from './deps';
import { Difference, RepairRecord } from './records';
import { repairDifferences } from './validate-batch';
import { loadValidation } from './validation-queries';
import { summarizeValidation } from './validation-summary';

export interface RepairOptions {
  deleteExtras: boolean;
}

export interface RepairResult extends RepairRecord {
  validationId: string;
  /** Missing or mismatched documents whose source row is gone by now (left as they are). */
  sourceRowsGone: number;
  extrasKept: number;
}

/**
 * Re-migrates exactly the rows behind the missing and mismatched documents a finished
 * validation found (read from the source again now, so a row changed since is written as it
 * is now), and deletes its extras only when asked.
 */
export async function repairValidation(
  deps: Pick<ValidationDeps, 'validations' | 'source' | 'writer' | 'syncGate'>,
  validationId: string,
  options: RepairOptions,
): Promise<RepairResult> {
  const validation = await loadValidation(deps, validationId);
  const summary = await summarizeValidation(validation, deps.validations.batches(validation));
  if (summary.status === 'running') {
    throw conflict('VALIDATION_RUNNING', `validation ${validationId} has not finished yet`);
  }
  const result: RepairResult = {
    validationId,
    at: new Date().toISOString(),
    deleteExtras: options.deleteExtras,
    rowsRewritten: 0,
    documentsWritten: 0,
    deleted: 0,
    rowErrors: 0,
    sourceRowsGone: 0,
    extrasKept: 0,
  };
  for await (const chunk of deps.validations.batches(validation)) {
    for (const batch of chunk) {
      if (batch.differences.length === 0) continue;
      const entity = entityModule(batch.entity);
      const stale = batch.differences.filter((d) => d.class !== 'extra');
      const rowIds = [...new Set(stale.map((d) => d.sourceId).filter((id) => id !== null))];
      const transformed = transformBatch(entity, await deps.source.readRows(entity, rowIds));
      const expected = new Map<string, CosmosDocument>(
        transformed.documents.map((document) => [refKey(document), document]),
      );
      const repaired = await repairDifferences(
        deps,
        entity,
        { differences: batch.differences, expected },
        options.deleteExtras,
      );
      const rewritten = new Set(transformed.owners);
      result.rowsRewritten += rewritten.size;
      result.documentsWritten += repaired.documentsWritten;
      result.deleted += repaired.deleted;
      result.rowErrors += transformed.rowErrors.length;
      result.sourceRowsGone +=
        rowIds.length - transformed.rowsTransformed - transformed.rowErrors.length;
      if (!options.deleteExtras) result.extrasKept += countExtras(batch.differences);
    }
  }
  const { validationId: _, sourceRowsGone, extrasKept, ...record } = result;
  void [_, sourceRowsGone, extrasKept];
  await deps.validations.saveValidation({
    ...validation,
    repairs: [...validation.repairs, record],
  });
  return result;
}

const countExtras = (differences: Difference[]) =>
  differences.filter((difference) => difference.class === 'extra').length;
