import { app, InvocationContext, Timer } from '@azure/functions';
import { functionsEngine } from '../shared/composition/functions-engine';
import { reconcileCounts } from '../shared/counts/reconcile-counts';

/**
 * The counts' safety net (COUNTS_RECONCILE_SCHEDULE, default every 5 minutes): recounts the
 * parents the change-feed functions recorded as failed, then every parent whose comments or
 * votes were written within COUNTS_RECONCILE_WINDOW. Writes only what differs.
 */
export async function countsReconcile(timer: Timer, context: InvocationContext): Promise<void> {
  const engine = functionsEngine();
  const result = await reconcileCounts(
    { store: engine.counts },
    { windowSeconds: engine.config.counts.reconcileWindowSeconds },
  );
  if (result.writes > 0 || result.failed.length > 0 || result.failuresCleared > 0) {
    context.log(
      `counts-reconcile${timer.isPastDue ? ' (past due)' : ''}: ${result.parents} parents ` +
        `(${result.failuresCleared} recorded, cleared; ${result.changedDocuments} recent changes` +
        `${result.truncated ? ', more than one run reads' : ''}), ${result.writes} writes, ` +
        `${result.failed.length} still failing (RU: changes ${result.changedRu.toFixed(1)}, ` +
        `recount ${result.recountRu.toFixed(1)}, writes ${result.writeRu.toFixed(1)})`,
    );
  }
  if (result.failed.length > 0) {
    const first = result.failed[0]!;
    context.warn(`counts-reconcile: ${first.parent.kind} ${first.parent.id}: ${first.reason}`);
  }
}

app.timer('counts-reconcile', {
  schedule: '%COUNTS_RECONCILE_SCHEDULE%',
  handler: countsReconcile,
});
