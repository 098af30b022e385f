import { entityModule } from '../entities/registry';
import { KeyRange } from '../postgres/source-reader';
import { ValidationDeps } from './deps';
import {
  BatchScope,
  emptyCounts,
  ValidationBatchOutcome,
  ValidationBatchRecord,
  validationBatchId,
  ValidationRecord,
} from './records';
import { newBatch, validationMessage } from './start-validation';

/**
 * After a range batch: counts it, atomically, and the batch that completes its entity's
 * ranges sends the census. (A worker that stops between saving its batch and counting it
 * leaves the census unsent: a resume sends it.)
 */
export async function countRange(
  deps: ValidationDeps,
  batch: ValidationBatchRecord,
): Promise<void> {
  const validation = await deps.validations.countRangeDone(batch.validationId, batch.entity);
  const plan = validation.plan[batch.entity]!;
  const done = validation.rangesDone[batch.entity] ?? 0;
  if (done < plan.ranges) return;
  const census = validationBatchId(batch.validationId, batch.entity, plan.ranges);
  await deps.validationQueue.send([
    {
      messageId: `${census}#after-${done}`,
      body: { validationId: batch.validationId, batchId: census, entity: batch.entity },
    },
  ]);
}

/**
 * Counts the container. Every document the ranges found is distinct and stored, so when the
 * container holds exactly that many there is no extra: one count instead of a query per
 * range. Otherwise it plans `claims` batches over the same ranges and an `unattributed`
 * sweep, which name the extras.
 */
export async function takeCensus(
  deps: ValidationDeps,
  validation: ValidationRecord,
  census: ValidationBatchRecord,
): Promise<ValidationBatchOutcome> {
  const plan = validation.plan[census.entity]!;
  const ids = Array.from({ length: plan.ranges }, (_, seq) =>
    validationBatchId(validation.validationId, census.entity, seq),
  );
  // Folded a bulk read at a time: range records carry their differences.
  let rangesDone = 0;
  let found = 0;
  const ranges: KeyRange[] = [];
  for await (const chunk of deps.validations.batchesById(validation.validationId, ids)) {
    for (const batch of chunk) {
      if (batch.status !== 'done' || batch.scope.kind !== 'range') continue;
      rangesDone++;
      found += batch.matched + batch.mismatched;
      ranges.push(batch.scope.range);
    }
  }
  if (rangesDone < ids.length) return { kind: 'skipped', reason: 'ranges-pending' };
  const started = Date.now();
  const stored = await deps.reader.countDocuments(entityModule(census.entity).container);
  if (stored !== found) {
    const scopes: BatchScope[] = [
      ...ranges.map((range): BatchScope => ({ kind: 'claims', range })),
      { kind: 'unattributed' },
    ];
    const search = scopes.map((scope, i) =>
      newBatch(validation, census.entity, plan.batches + i, scope),
    );
    await deps.validations.addBatches(
      validation.validationId,
      census.entity,
      search,
      plan.batches + search.length,
    );
    await deps.validationQueue.send(
      search.map((batch) => ({ messageId: batch.id, body: validationMessage(batch) })),
    );
  }
  const done: ValidationBatchRecord = {
    ...census,
    ...emptyCounts(),
    status: 'done',
    attempts: census.attempts + 1,
    startedAt: new Date(started).toISOString(),
    finishedAt: new Date().toISOString(),
    durationMs: Date.now() - started,
    census: { stored, found },
  };
  await deps.validations.saveBatch(done);
  return { kind: 'validated', batch: done };
}
