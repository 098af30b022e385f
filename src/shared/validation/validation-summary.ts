import { EntityName } from '../entities/entity';
import {
  Difference,
  emptyCounts,
  ValidationBatchRecord,
  ValidationCounts,
  ValidationRecord,
} from './records';

export type ValidationStatus = 'running' | 'completed' | 'failed';

/** How many differences per entity a summary shows in detail. */
export const DETAILED_DIFFERENCES = 100;

export interface EntityVerdict extends ValidationCounts {
  consistencyRate: number;
  sourceRows: number;
  batches: { total: number; done: number; failed: number; running: number; queued: number };
  differences: Difference[];
}

export interface ValidationSummary {
  validationId: string;
  mode: ValidationRecord['mode'];
  trigger: ValidationRecord['trigger'];
  status: ValidationStatus;
  ready: boolean;
  consistencyRate: number;
  threshold: number;
  entities: Partial<Record<EntityName, EntityVerdict>>;
  totals: ValidationCounts;
  failedBatches: { batchId: string; entity: EntityName; reason: string }[];
  requestCharge: number;
  throttled: number;
  startedAt: string;
  finishedAt: string | null;
  durationMs: number;
  documentsPerSecond: number;
  repairs: ValidationRecord['repairs'];
}

const rate = (counts: ValidationCounts) =>
  counts.checked === 0 ? 1 : Math.floor((counts.matched / counts.checked) * 1e6) / 1e6;

function add(into: ValidationCounts, from: ValidationCounts): void {
  into.checked += from.checked;
  into.matched += from.matched;
  into.mismatched += from.mismatched;
  into.missing += from.missing;
  into.extra += from.extra;
  into.rowErrors += from.rowErrors;
  into.rowsRead += from.rowsRead;
}

/**
 * Folds the batch results (read a few at a time) into a verdict. `ready` needs every batch
 * done, nothing missing and the consistency rate at the threshold: an interrupted validation
 * is `running`, never ready.
 */
export async function summarizeValidation(
  validation: ValidationRecord,
  batches: AsyncIterable<ValidationBatchRecord[]>,
  now = new Date(),
): Promise<ValidationSummary> {
  const entities: Partial<Record<EntityName, EntityVerdict>> = {};
  for (const entity of validation.entities) {
    const plan = validation.plan[entity] ?? { sourceRows: 0, batches: 0 };
    entities[entity] = {
      ...emptyCounts(),
      consistencyRate: 1,
      sourceRows: plan.sourceRows,
      batches: { total: plan.batches, done: 0, failed: 0, running: 0, queued: 0 },
      differences: [],
    };
  }
  const failedBatches: ValidationSummary['failedBatches'] = [];
  // A census waits for every range of its entity: after a failed range it can never run.
  const waitingCensus = new Map<EntityName, number>();
  let requestCharge = 0;
  let throttled = 0;
  let finishedAt = validation.createdAt;
  for await (const chunk of batches) {
    for (const batch of chunk) {
      const verdict = entities[batch.entity];
      if (!verdict) continue;
      verdict.batches[batch.status]++;
      if (batch.finishedAt && batch.finishedAt > finishedAt) finishedAt = batch.finishedAt;
      if (batch.status === 'failed') {
        failedBatches.push({
          batchId: batch.id,
          entity: batch.entity,
          reason: batch.lastError ?? 'unknown',
        });
      }
      if (batch.scope.kind === 'census' && batch.status === 'queued') {
        waitingCensus.set(batch.entity, (waitingCensus.get(batch.entity) ?? 0) + 1);
      }
      if (batch.status !== 'done') continue;
      add(verdict, batch);
      requestCharge += batch.requestCharge;
      throttled += batch.throttled;
      const room = DETAILED_DIFFERENCES - verdict.differences.length;
      if (room > 0) verdict.differences.push(...batch.differences.slice(0, room));
    }
  }
  const totals = emptyCounts();
  let unfinished = 0;
  const failedEntities = new Set(failedBatches.map((batch) => batch.entity));
  for (const [name, verdict] of Object.entries(entities) as [EntityName, EntityVerdict][]) {
    const { total, done, failed, running } = verdict.batches;
    verdict.batches.queued = total - done - failed - running;
    const blocked = failedEntities.has(name) ? (waitingCensus.get(name) ?? 0) : 0;
    unfinished += total - done - failed - blocked;
    verdict.consistencyRate = rate(verdict);
    add(totals, verdict);
  }
  const status: ValidationStatus =
    unfinished > 0 ? 'running' : failedBatches.length > 0 ? 'failed' : 'completed';
  const consistencyRate = rate(totals);
  const end = status === 'running' ? now.toISOString() : finishedAt;
  const durationMs = Math.max(0, Date.parse(end) - Date.parse(validation.createdAt));
  return {
    validationId: validation.validationId,
    mode: validation.mode,
    trigger: validation.trigger,
    status,
    ready:
      status === 'completed' && totals.missing === 0 && consistencyRate >= validation.threshold,
    consistencyRate,
    threshold: validation.threshold,
    entities,
    totals,
    failedBatches,
    requestCharge: Math.round(requestCharge * 100) / 100,
    throttled,
    startedAt: validation.createdAt,
    finishedAt: status === 'running' ? null : finishedAt,
    durationMs,
    documentsPerSecond: durationMs > 0 ? Math.round((totals.checked / durationMs) * 1000) : 0,
    repairs: validation.repairs,
  };
}
