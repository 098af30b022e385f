import { EntityName } from '../entities/entity';
import { RowErrorRecord } from '../entities/row-error';
import { MigrationDeps } from '../migration/deps';
import { getRun } from '../migration/run-queries';
import { RunStatus } from '../migration/run-summary';
import { ValidationDeps } from '../validation/deps';
import { getValidation } from '../validation/validation-queries';
import { ValidationSummary } from '../validation/validation-summary';

const ROW_ERRORS_LISTED = 100;

export interface EntityReport {
  sourceRows: number;
  documentsWritten: number;
  rowErrors: number;
  /** Wall-clock time from the entity's first batch start to its last batch end. */
  durationMs: number;
  documentsPerSecond: number;
  requestCharge: number;
  throttled: number;
  findings: Record<string, number>;
}

export interface MigrationReport {
  runId: string;
  status: RunStatus;
  generatedAt: string;
  startedAt: string;
  finishedAt: string | null;
  durationMs: number;
  lostRows: number;
  entities: Partial<Record<EntityName, EntityReport>>;
  rowErrors: RowErrorRecord[];
  rowErrorsTotal: number;
  failedBatches: { batchId: string; entity: EntityName; reason: string }[];
  /** The newest full or sample validation, whenever it ran. */
  validation: ValidationSummary | null;
}

/** What a run did and what the newest validation says of the target, for the people signing off. */
export async function buildMigrationReport(
  deps: Pick<MigrationDeps, 'store'> & Pick<ValidationDeps, 'validations'>,
  runId: string,
): Promise<MigrationReport> {
  const summary = await getRun(deps, runId, true);
  const run = (await deps.store.getRun(runId))!;
  const windows = new Map<EntityName, { start: string; end: string }>();
  for (const batch of await deps.store.getBatches(run)) {
    if (!batch.startedAt || !batch.finishedAt) continue;
    const window = windows.get(batch.entity) ?? { start: batch.startedAt, end: batch.finishedAt };
    if (batch.startedAt < window.start) window.start = batch.startedAt;
    if (batch.finishedAt > window.end) window.end = batch.finishedAt;
    windows.set(batch.entity, window);
  }
  const entities: MigrationReport['entities'] = {};
  for (const [name, progress] of Object.entries(summary.entities) as [
    EntityName,
    typeof summary.entities.users & object,
  ][]) {
    const window = windows.get(name);
    const durationMs = window ? Date.parse(window.end) - Date.parse(window.start) : 0;
    entities[name] = {
      sourceRows: progress.sourceRows,
      documentsWritten: progress.documentsWritten,
      rowErrors: progress.rowErrors,
      durationMs,
      documentsPerSecond:
        durationMs > 0 ? Math.round((progress.documentsWritten / durationMs) * 1000) : 0,
      requestCharge: Math.round(progress.requestCharge * 100) / 100,
      throttled: progress.throttled,
      findings: progress.findings,
    };
  }
  const latest = await deps.validations.latestValidationId();
  return {
    runId,
    status: summary.status,
    generatedAt: new Date().toISOString(),
    startedAt: summary.startedAt,
    finishedAt: summary.finishedAt,
    durationMs: summary.durationMs,
    lostRows: summary.totals.lostRows,
    entities,
    rowErrors: summary.rowErrorList.slice(0, ROW_ERRORS_LISTED),
    rowErrorsTotal: summary.rowErrorList.length,
    failedBatches: summary.failedBatches.map(({ batchId, entity, reason }) => ({
      batchId,
      entity,
      reason,
    })),
    validation: latest ? await getValidation(deps, latest) : null,
  };
}
