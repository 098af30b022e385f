import { RowErrorRecord } from '../entities/row-error';
import { notFound } from '../errors/app-error';
import { MigrationDeps } from './deps';
import { RunSummary, summarizeRun } from './run-summary';
import { messageFor } from './start-migration';

export interface RunReport extends RunSummary {
  rowErrorList: RowErrorRecord[];
}

export async function getRun(
  deps: Pick<MigrationDeps, 'store'>,
  runId: string,
  withRowErrors = false,
): Promise<RunReport> {
  const run = await deps.store.getRun(runId);
  if (!run) throw notFound('RUN_NOT_FOUND', `no migration run ${runId}`);
  const summary = summarizeRun(run, await deps.store.getBatches(run));
  const rowErrorList =
    withRowErrors && summary.totals.rowErrors > 0 ? await deps.store.listRowErrors(runId) : [];
  return { ...summary, rowErrorList };
}

/** Re-enqueues every batch that is not done (failed ones included), under new message ids. */
export async function resumeRun(
  deps: Pick<MigrationDeps, 'store' | 'queue'>,
  runId: string,
): Promise<{ runId: string; requeued: number }> {
  const run = await deps.store.getRun(runId);
  if (!run) throw notFound('RUN_NOT_FOUND', `no migration run ${runId}`);
  const pending = (await deps.store.getBatches(run)).filter((batch) => batch.status !== 'done');
  if (pending.length === 0) return { runId, requeued: 0 };
  const resumed = { ...run, resumes: run.resumes + 1 };
  await deps.store.saveRun(resumed);
  for (const batch of pending.filter((b) => b.status === 'failed')) {
    await deps.store.saveBatch({ ...batch, status: 'queued', finishedAt: null });
  }
  // Service Bus would drop a resent message id inside its duplicate-detection window.
  await deps.queue.send(
    pending.map((batch) => ({
      messageId: `${batch.id}#resume-${resumed.resumes}`,
      body: messageFor(batch),
    })),
  );
  await deps.store.holdEntities(runId, run.entities);
  return { runId, requeued: pending.length };
}
