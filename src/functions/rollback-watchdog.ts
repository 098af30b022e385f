import { app, InvocationContext, Timer } from '@azure/functions';
import { watchdogDepsOf } from '../shared/composition/app-data';
import { functionsEngine } from '../shared/composition/functions-engine';
import { watchOnce } from '../shared/cutover/watchdog';

/**
 * Judges the router's metric windows (WATCHDOG_SCHEDULE, default every minute) and rolls back
 * to dual-write when Cosmos fails enough of them (docs/cutover.md); never moves forward.
 */
export async function rollbackWatchdog(timer: Timer, context: InvocationContext): Promise<void> {
  const engine = functionsEngine();
  const report = await watchOnce(watchdogDepsOf(engine));
  await engine.metrics?.flush();
  const line = `rollback-watchdog${timer.isPastDue ? ' (past due)' : ''}: ${report.action} (${report.reason})`;
  if (report.action === 'rolled-back') context.warn(line);
  else if (report.windows.length > 0 || report.action === 'hold') context.log(line);
}

app.timer('rollback-watchdog', {
  schedule: '%WATCHDOG_SCHEDULE%',
  handler: rollbackWatchdog,
});
