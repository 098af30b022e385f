import { DocumentRef, refKey, StoredKey } from '../cosmos/document-reader';
import { RejectedDocument } from '../cosmos/document-writer';
import { addKeys, emptyKeys } from '../sync/source-keys';
import { measureRequests } from '../cosmos/throttling';
import { CosmosDocument, EntityModule } from '../entities/entity';
import { entityModule, SourceRow } from '../entities/registry';
import { asFailed } from '../jobs/failed-batch';
import { errorMessage } from '../errors/app-error';
import { transformBatch } from '../migration/transform-batch';
import { countRange, takeCensus } from './census';
import { recheckDifferences } from './recheck';
import { ValidationDeps } from './deps';
import { differingFields, fieldValues } from './compare';
import {
  BatchScope,
  Difference,
  emptyCounts,
  RepairStats,
  ValidationBatchRecord,
  ValidationCounts,
  ValidationBatchOutcome,
  ValidationMessage,
} from './records';

/**
 * Compares one batch: builds the expected documents with the migration's own entity module,
 * point-reads the actual ones and classifies them; batches that look for extras ask Cosmos
 * which documents claim a source row of theirs. Safe to run twice; a failure is recorded and
 * rethrown for redelivery.
 */
export async function validateBatch(
  deps: ValidationDeps,
  message: ValidationMessage,
): Promise<ValidationBatchOutcome> {
  const batch = await deps.validations.getBatch(message.validationId, message.batchId);
  if (!batch) return { kind: 'skipped', reason: 'unknown-batch' };
  if (batch.status === 'done') return { kind: 'skipped', reason: 'already-done' };
  const validation = await deps.validations.getValidation(message.validationId);
  if (!validation) return { kind: 'skipped', reason: 'unknown-batch' };
  if (batch.scope.kind === 'census') return takeCensus(deps, validation, batch);

  const started = Date.now();
  const running: ValidationBatchRecord = {
    ...batch,
    status: 'running',
    attempts: batch.attempts + 1,
    startedAt: new Date(started).toISOString(),
  };
  await deps.validations.saveBatch(running);
  try {
    const entity = entityModule(batch.entity);
    const { result, stats } = await measureRequests(async () => {
      const compared = await recheckDifferences(
        deps,
        entity,
        await compareScope(deps, entity, batch.scope),
        deps.recheckDelayMs ?? 0,
      );
      const repaired = validation.repair
        ? await repairDifferences(deps, entity, compared, validation.deleteExtras)
        : null;
      return { ...compared, repaired };
    });
    const done: ValidationBatchRecord = {
      ...running,
      ...result.counts,
      differences: result.differences,
      repaired: result.repaired,
      status: 'done',
      finishedAt: new Date().toISOString(),
      durationMs: Date.now() - started,
      requestCharge: Math.round(stats.requestCharge * 100) / 100,
      throttled: stats.throttled,
      lastError: null,
    };
    await deps.validations.saveBatch(done);
    if (batch.scope.kind === 'range') await countRange(deps, done);
    return { kind: 'validated', batch: done };
  } catch (error) {
    await deps.validations
      .saveBatch({ ...running, lastError: errorMessage(error), durationMs: Date.now() - started })
      .catch(() => undefined);
    throw error;
  }
}

export interface ComparedScope {
  counts: ValidationCounts;
  differences: Difference[];
  /** Expected documents of the differing rows, for an immediate repair. */
  expected: Map<string, CosmosDocument>;
}

export async function compareScope(
  deps: Pick<ValidationDeps, 'source' | 'reader'>,
  entity: EntityModule<SourceRow>,
  scope: BatchScope,
): Promise<ComparedScope> {
  const rows =
    scope.kind === 'range' || scope.kind === 'claims'
      ? await deps.source.readBatch(entity, scope.range)
      : scope.kind === 'ids'
        ? await deps.source.readRows(entity, scope.ids)
        : [];
  const transformed = transformBatch(entity, rows);
  const counts = emptyCounts();
  // A claims batch looks for extras only: its range's documents were compared already.
  const compare = scope.kind !== 'claims';
  if (compare) {
    counts.rowsRead = rows.length;
    counts.rowErrors = transformed.rowErrors.length;
  }
  const [actual, stored] = await Promise.all([
    compare ? deps.reader.readMany(entity.container, transformed.documents) : [],
    claimingDocuments(deps, entity, scope),
  ]);

  const differences: Difference[] = [];
  const expected = new Map<string, CosmosDocument>();
  const expectedKeys = new Set<string>();
  transformed.documents.forEach((document, i) => {
    const key = refKey(document);
    expectedKeys.add(key);
    if (!compare) return;
    const found = actual[i];
    const fields = found ? differingFields(document, found) : [];
    if (found && fields.length === 0) {
      counts.matched++;
      return;
    }
    expected.set(key, document);
    const base = {
      id: document.id,
      pk: document.pk,
      sourceId: transformed.owners[i]!,
      type: document.type,
    };
    if (!found) {
      counts.missing++;
      differences.push({ ...base, class: 'missing', fields: [] });
    } else {
      counts.mismatched++;
      differences.push({
        ...base,
        class: 'mismatch',
        fields,
        values: fieldValues(fields, document, found, entity.maskedFields),
      });
    }
  });

  // A row that cannot become a document may still have one from an earlier, valid version.
  const unrepresentable = new Set(transformed.rowErrors.map((error) => error.id));
  for (const key of stored) {
    if (expectedKeys.has(refKey(key))) continue;
    const sourceId = typeof key.sourceKey === 'string' ? key.sourceKey : null;
    if (sourceId !== null && unrepresentable.has(sourceId)) continue;
    counts.extra++;
    differences.push({
      id: key.id,
      pk: key.pk,
      class: 'extra',
      sourceId,
      type: typeof key.type === 'string' ? key.type : null,
      fields: [],
    });
  }
  counts.checked = counts.matched + counts.mismatched + counts.missing + counts.extra;
  return { counts, differences, expected };
}

/** Stored documents that claim a source row of the scope (a range's are left to the census). */
function claimingDocuments(
  deps: Pick<ValidationDeps, 'reader'>,
  entity: EntityModule<SourceRow>,
  scope: BatchScope,
): Promise<StoredKey[]> {
  switch (scope.kind) {
    case 'claims':
      return deps.reader.keysInRange(entity.container, entity.documentKinds, scope.range);
    case 'ids':
      return deps.reader.keysFor(entity.container, entity.documentKinds, scope.ids);
    case 'unattributed':
      return deps.reader.unattributed(entity.container, entity.documentKinds);
    default:
      return Promise.resolve([]);
  }
}

/**
 * Rewrites the expected documents that differ; deletes extras only when asked. While a sync
 * follows the target, the rows are rewritten through its apply path with its rounds paused
 * (re-read now, dependents included), so a repair never puts an older row over a newer change.
 */
export async function repairDifferences(
  deps: Pick<ValidationDeps, 'writer' | 'syncGate'>,
  entity: EntityModule<SourceRow>,
  compared: Pick<ComparedScope, 'differences' | 'expected'>,
  deleteExtras: boolean,
): Promise<RepairStats> {
  const rowIds = new Set(
    compared.differences.filter((d) => d.class !== 'extra').map((d) => d.sourceId),
  );
  const extras: DocumentRef[] = compared.differences
    .filter((difference) => difference.class === 'extra')
    .map(({ id, pk }) => ({ id, pk }));
  const writeAll = async (
    rewrite: () => Promise<{ written: number; deleted: number; rejected: RejectedDocument[] }>,
  ) => {
    const rewritten = await rewrite();
    const deleted = deleteExtras
      ? await deps.writer.deleteAll(entity.container, extras)
      : undefined;
    const rejected = [...rewritten.rejected, ...(deleted?.rejected ?? [])];
    if (rejected.length > 0) {
      throw new Error(`repair of ${rejected[0]!.id} failed: ${rejected[0]!.message}`);
    }
    return {
      rowsRewritten: rowIds.size,
      documentsWritten: rewritten.written,
      deleted: rewritten.deleted + (deleted?.written ?? 0),
    };
  };
  const synced = await deps.syncGate.exclusive((apply) =>
    writeAll(async () => {
      const keys = emptyKeys();
      addKeys(keys, entity.name, rowIds);
      const applied = await apply(keys);
      const entities = Object.values(applied.entities);
      return {
        written: entities.reduce((n, e) => n + e.documentsUpserted, 0),
        deleted: entities.reduce((n, e) => n + e.documentsDeleted, 0),
        rejected: applied.rowErrors.map((e) => ({
          id: e.id,
          pk: '',
          status: 0,
          message: e.message,
        })),
      };
    }),
  );
  if (synced) return synced;
  return writeAll(async () => {
    const written = await deps.writer.upsertAll(entity.container, [...compared.expected.values()]);
    return { written: written.written, deleted: 0, rejected: written.rejected };
  });
}

/** After the last delivery attempt: the batch shows as failed, with the reason. */
export async function failValidationBatch(
  deps: Pick<ValidationDeps, 'validations'>,
  message: ValidationMessage,
  reason: string,
): Promise<ValidationBatchRecord | undefined> {
  const batch = await deps.validations.getBatch(message.validationId, message.batchId);
  if (!batch || batch.status === 'done') return batch;
  const failed = asFailed(batch, reason);
  await deps.validations.saveBatch(failed);
  return failed;
}
