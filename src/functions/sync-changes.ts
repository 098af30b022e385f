import { app, InvocationContext, Timer } from '@azure/functions';
import { functionsEngine } from '../shared/composition/functions-engine';
import { AppError } from '../shared/errors/app-error';
import { PAUSED_REASON } from '../shared/flags/migration-gate';
import { catchUp } from '../shared/sync/catch-up';
import { DEFAULT_CATCH_UP_ROUNDS } from '../shared/sync/inputs';
import { syncStatus } from '../shared/sync/sync-status';

/** Before the first migrate, and after `sync stop`, there is nothing to follow: not a failure. */
const IDLE_CODES = new Set(['SYNC_NOT_SET_UP', 'SYNC_STOPPED']);

/**
 * Continuous sync on a schedule (SYNC_SCHEDULE, default every 10 s): rounds until caught up.
 * Rounds never overlap (the source's round lock); a failure is rethrown so the retry policy
 * runs it again, and a stop the operator must act on (lost slot, TRUNCATE) shows in GET /api/sync.
 * While Migration.Enabled is off a tick applies nothing (the slot keeps the changes) but
 * still reports the slot: a long pause retains WAL on the source.
 */
export async function syncChanges(timer: Timer, context: InvocationContext): Promise<void> {
  const engine = functionsEngine();
  try {
    const gate = await engine.migrationGate.read();
    if (gate.staleBecause) context.warn(`sync-changes: ${gate.staleBecause}`);
    if (!gate.open) {
      context.log(`sync-changes skipped: ${PAUSED_REASON} (the slot keeps the changes)`);
      await trackSlot(engine);
      return;
    }
    const result = await catchUp(engine.syncDeps(), DEFAULT_CATCH_UP_ROUNDS);
    if (result.changesRead > 0 || result.outcome !== 'caught-up') {
      context.log(
        `sync ${result.outcome}${timer.isPastDue ? ' (past due)' : ''}: ${result.rounds} rounds, ` +
          `${result.changesRead} changes${result.reason ? ` (${result.reason})` : ''}`,
      );
    }
    await trackSlot(engine);
  } catch (error) {
    if (error instanceof AppError && IDLE_CODES.has(error.code)) return;
    context.error(`sync round failed: ${error instanceof Error ? error.message : String(error)}`);
    throw error;
  }
}

/**
 * Retained WAL and lag as Application Insights metrics, on which the alerts fire (a slot left
 * behind fills the source's disk). Only where metrics are configured: locally they would be
 * a log line every few seconds.
 */
async function trackSlot(engine: ReturnType<typeof functionsEngine>): Promise<void> {
  if (!engine.metrics) return;
  const { slot, state } = await syncStatus(engine.syncDeps());
  if (!slot) return;
  const properties = { slot: state.slot, status: state.status };
  engine.metrics.track('sync.retainedWalBytes', slot.retainedWalBytes, properties);
  if (slot.lagSeconds !== null)
    engine.metrics.track('sync.lagSeconds', slot.lagSeconds, properties);
  await engine.metrics.flush();
}

app.timer('sync-changes', {
  schedule: '%SYNC_SCHEDULE%',
  retry: {
    strategy: 'exponentialBackoff',
    maxRetryCount: 3,
    minimumInterval: { seconds: 5 },
    maximumInterval: { minutes: 1 },
  },
  handler: syncChanges,
});
