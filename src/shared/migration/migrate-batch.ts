import { measureRequests } from '../cosmos/throttling';
import { entityModule } from '../entities/registry';
import { rejectedRowError, RowErrorRecord } from '../entities/row-error';
import { asFailed } from '../jobs/failed-batch';
import { errorMessage } from '../errors/app-error';
import { MigrationDeps } from './deps';
import { BatchMessage, BatchRecord } from './records';
import { transformBatch } from './transform-batch';

export type BatchOutcome =
  | { kind: 'migrated'; batch: BatchRecord }
  | { kind: 'skipped'; reason: 'already-done' | 'unknown-batch' };

/**
 * Migrates one keyset range. Safe to run twice: documents have deterministic ids and are
 * upserted, and a batch already done is not read again. A failure is recorded on the batch
 * and rethrown, so the queue redelivers it (and dead-letters it after the last attempt).
 */
export async function migrateBatch(
  deps: Pick<MigrationDeps, 'source' | 'writer' | 'store'>,
  message: BatchMessage,
): Promise<BatchOutcome> {
  const batch = await deps.store.getBatch(message.runId, message.batchId);
  if (!batch) return { kind: 'skipped', reason: 'unknown-batch' };
  if (batch.status === 'done') return { kind: 'skipped', reason: 'already-done' };

  const started = Date.now();
  const running: BatchRecord = {
    ...batch,
    status: 'running',
    attempts: batch.attempts + 1,
    startedAt: new Date(started).toISOString(),
  };
  await deps.store.saveBatch(running);
  try {
    const entity = entityModule(batch.entity);
    // The rows are not kept past the transform: a batch in flight holds its documents only.
    const transformed = transformBatch(entity, await deps.source.readBatch(entity, batch.range));
    const { result: written, stats } = await measureRequests(() =>
      deps.writer.upsertAll(entity.container, transformed.documents),
    );
    const rejectedRows = new Map<string, RowErrorRecord>();
    for (const rejected of written.rejected) {
      const index = transformed.documents.findIndex(
        (d) => d.id === rejected.id && d.pk === rejected.pk,
      );
      const rowId = transformed.owners[index] ?? rejected.id;
      rejectedRows.set(rowId, rejectedRowError(entity.table, rowId, rejected));
    }
    const rowErrors = [...transformed.rowErrors, ...rejectedRows.values()];
    if (rowErrors.length > 0) await deps.store.saveRowErrors(batch.runId, batch.id, rowErrors);
    const done: BatchRecord = {
      ...running,
      status: 'done',
      finishedAt: new Date().toISOString(),
      lastError: null,
      rowsRead: transformed.rowsRead,
      rowsMigrated: transformed.rowsTransformed - rejectedRows.size,
      documentsWritten: written.written,
      rowErrors: rowErrors.length,
      requestCharge: Math.round(stats.requestCharge * 100) / 100,
      throttled: stats.throttled,
      durationMs: Date.now() - started,
      findings: transformed.findings,
    };
    await deps.store.saveBatch(done);
    return { kind: 'migrated', batch: done };
  } catch (error) {
    await deps.store
      .saveBatch({ ...running, lastError: errorMessage(error), durationMs: Date.now() - started })
      .catch(() => undefined);
    throw error;
  }
}

/** After the last delivery attempt: the batch shows as failed, with the reason. */
export async function failBatch(
  deps: Pick<MigrationDeps, 'store'>,
  message: BatchMessage,
  reason: string,
): Promise<BatchRecord | undefined> {
  const batch = await deps.store.getBatch(message.runId, message.batchId);
  if (!batch || batch.status === 'done') return batch;
  const failed = asFailed(batch, reason);
  await deps.store.saveBatch(failed);
  return failed;
}
