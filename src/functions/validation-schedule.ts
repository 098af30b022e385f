import { app, InvocationContext, Timer } from '@azure/functions';
import { functionsEngine } from '../shared/composition/functions-engine';
import { PAUSED_REASON } from '../shared/flags/migration-gate';
import { LogMetrics } from '../shared/observability/metrics';
import { runValidationInline } from '../shared/validation/run-inline';

/**
 * A sample validation on a schedule (VALIDATION_SCHEDULE, default every 6 hours), run within
 * the invocation so its verdict is known here: recorded as the latest validation and sent
 * as the `validation.consistencyRate` metric, on which an alert can fire. Skipped while
 * Migration.Enabled is off.
 */
export async function validationSchedule(timer: Timer, context: InvocationContext): Promise<void> {
  const engine = functionsEngine();
  const gate = await engine.migrationGate.read();
  if (gate.staleBecause) context.warn(`validation-schedule: ${gate.staleBecause}`);
  if (!gate.open) {
    context.log(`scheduled validation skipped: ${PAUSED_REASON}`);
    return;
  }
  const { validation, migration } = engine.config;
  const summary = await runValidationInline(
    engine,
    {
      mode: 'sample',
      sampleSize: validation.sampleSize,
      batchSize: migration.batchSize,
      threshold: validation.consistencyThreshold,
      trigger: 'schedule',
    },
    migration.batchConcurrency,
  );
  const metrics = engine.metrics ?? new LogMetrics((line) => context.log(line));
  const properties = { validationId: summary.validationId, ready: String(summary.ready) };
  metrics.track('validation.consistencyRate', summary.consistencyRate, properties);
  metrics.track(
    'validation.differences',
    summary.totals.checked - summary.totals.matched,
    properties,
  );
  await metrics.flush();
  const line =
    `scheduled validation ${summary.validationId}${timer.isPastDue ? ' (past due)' : ''}: ` +
    `${summary.status}, rate ${summary.consistencyRate}, ${summary.totals.mismatched} mismatched, ` +
    `${summary.totals.missing} missing, ${summary.totals.extra} extra`;
  if (summary.ready) context.log(line);
  else context.warn(line);
}

app.timer('validation-schedule', {
  schedule: '%VALIDATION_SCHEDULE%',
  // A passing fault (a throttled read, a dropped connection) should not cost six hours of proof.
  retry: {
    strategy: 'exponentialBackoff',
    maxRetryCount: 3,
    minimumInterval: { seconds: 30 },
    maximumInterval: { minutes: 5 },
  },
  handler: validationSchedule,
});
