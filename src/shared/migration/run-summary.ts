import { EntityName } from '../entities/entity';
import { BatchRecord, BatchStats, emptyStats, RunRecord } from './records';

export type RunStatus = 'running' | 'completed' | 'completed_with_errors' | 'failed';

export interface EntityProgress extends BatchStats {
  sourceRows: number;
  batches: { total: number; queued: number; running: number; done: number; failed: number };
}

export interface FailedBatch {
  batchId: string;
  entity: EntityName;
  range: BatchRecord['range'];
  reason: string;
}

export interface RunSummary {
  runId: string;
  status: RunStatus;
  entities: Partial<Record<EntityName, EntityProgress>>;
  totals: BatchStats & { sourceRows: number; lostRows: number };
  failedBatches: FailedBatch[];
  startedAt: string;
  finishedAt: string | null;
  durationMs: number;
  documentsPerSecond: number;
  etaSeconds: number | null;
  /** The slot capturing changes since before the load, or null when the run is a one-shot copy. */
  sync: { slot: string; startLsn: string } | null;
}

function addStats(into: BatchStats, from: BatchStats): void {
  into.rowsRead += from.rowsRead;
  into.rowsMigrated += from.rowsMigrated;
  into.documentsWritten += from.documentsWritten;
  into.rowErrors += from.rowErrors;
  into.requestCharge += from.requestCharge;
  into.throttled += from.throttled;
  into.durationMs += from.durationMs;
  for (const [finding, count] of Object.entries(from.findings)) {
    into.findings[finding] = (into.findings[finding] ?? 0) + count;
  }
}

/**
 * A run's state is derived from its batch records every time, so it cannot drift from them
 * and a crashed worker cannot leave a wrong counter behind.
 */
export function summarizeRun(run: RunRecord, batches: BatchRecord[], now = new Date()): RunSummary {
  const entities: Partial<Record<EntityName, EntityProgress>> = {};
  for (const entity of run.entities) {
    const plan = run.plan[entity] ?? { sourceRows: 0, batches: 0 };
    entities[entity] = {
      ...emptyStats(),
      sourceRows: plan.sourceRows,
      batches: { total: plan.batches, queued: 0, running: 0, done: 0, failed: 0 },
    };
  }
  const totals = { ...emptyStats(), sourceRows: 0, lostRows: 0 };
  const failedBatches: FailedBatch[] = [];
  let finishedAt = run.createdAt;
  for (const batch of batches) {
    const progress = entities[batch.entity];
    if (!progress) continue;
    progress.batches[batch.status]++;
    if (batch.status === 'done') addStats(progress, batch);
    if (batch.status === 'failed') {
      failedBatches.push({
        batchId: batch.id,
        entity: batch.entity,
        range: batch.range,
        reason: batch.lastError ?? 'unknown',
      });
    }
    if (batch.finishedAt && batch.finishedAt > finishedAt) finishedAt = batch.finishedAt;
  }
  let unfinished = 0;
  for (const progress of Object.values(entities)) {
    const { total, done, failed } = progress.batches;
    progress.batches.queued = total - done - failed - progress.batches.running;
    unfinished += total - done - failed;
    addStats(totals, progress);
    totals.sourceRows += progress.sourceRows;
    totals.lostRows += Math.max(
      0,
      progress.sourceRows - progress.rowsMigrated - progress.rowErrors,
    );
  }
  const status: RunStatus =
    unfinished > 0
      ? 'running'
      : failedBatches.length > 0
        ? 'failed'
        : totals.rowErrors > 0
          ? 'completed_with_errors'
          : 'completed';
  const end = status === 'running' ? now.toISOString() : finishedAt;
  const durationMs = Math.max(0, Date.parse(end) - Date.parse(run.createdAt));
  const documentsPerSecond = durationMs > 0 ? (totals.documentsWritten / durationMs) * 1000 : 0;
  const rowsPerSecond = durationMs > 0 ? (totals.rowsRead / durationMs) * 1000 : 0;
  const remainingRows = Math.max(0, totals.sourceRows - totals.rowsRead);
  return {
    runId: run.runId,
    status,
    entities,
    totals,
    failedBatches,
    startedAt: run.createdAt,
    finishedAt: status === 'running' ? null : finishedAt,
    durationMs,
    documentsPerSecond: Math.round(documentsPerSecond),
    etaSeconds:
      status !== 'running'
        ? 0
        : rowsPerSecond > 0
          ? Math.ceil(remainingRows / rowsPerSecond)
          : null,
    sync: run.sync ?? null,
  };
}

export const isActive = (summary: RunSummary) => summary.status === 'running';
