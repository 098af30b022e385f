import { Cron } from 'croner';
import { AppError, errorMessage } from '../shared/errors/app-error';
import { HostLog, invokeWithRetry } from './invoke';
import { Registration } from './registrations';

export interface ScheduledTimer {
  name: string;
  schedule: string;
  /** The next occurrence, or null when the schedule has none. */
  next(): Date | null;
  /** Runs it now (the admin endpoint); a run in flight is not doubled. */
  runNow(reason: string): Promise<void>;
}

/**
 * NCRONTAB has six fields, seconds first (e.g. every six hours: `0 0 0,6,12,18 * * *`); croner reads that form as it is.
 * A five-field expression is not NCRONTAB: refusing it beats running it at the wrong times.
 */
export function parseSchedule(functionName: string, schedule: string): Cron {
  const fields = schedule.trim().split(/\s+/);
  if (fields.length !== 6) {
    throw new AppError(
      'HOST_INVALID_SCHEDULE',
      `timer ${functionName}: "${schedule}" is not an NCRONTAB expression of six fields ({second} {minute} {hour} {day} {month} {day-of-week})`,
    );
  }
  try {
    return new Cron(schedule, { paused: true, domAndDow: false });
  } catch (error) {
    throw new AppError(
      'HOST_INVALID_SCHEDULE',
      `timer ${functionName}: "${schedule}": ${errorMessage(error)}`,
    );
  }
}

/**
 * A timer trigger on its schedule, as the Functions host runs one: never two runs at once (an
 * occurrence that comes while the last run is going is skipped and the next one marked past
 * due), `runOnStartup` honoured, the registration's retry policy applied.
 */
export function scheduleTimer(
  registration: Registration,
  schedule: string,
  log: HostLog,
  stopping: AbortSignal,
): ScheduledTimer & { start(): void; stop(): Promise<void> } {
  const cron = parseSchedule(registration.name, schedule);
  let running: Promise<void> | undefined;
  let last: Date | undefined;
  let missed = false;
  const run = (reason: string): Promise<void> => {
    if (running) {
      missed = true;
      log('warning', `[${registration.name}] still running; this occurrence is skipped`);
      return running;
    }
    const now = new Date();
    const timer = {
      isPastDue: missed,
      schedule: { adjustForDST: false },
      scheduleStatus: {
        last: (last ?? now).toISOString(),
        next: (cron.nextRun() ?? now).toISOString(),
        lastUpdated: now.toISOString(),
      },
    };
    missed = false;
    last = now;
    running = invokeWithRetry(registration, [timer], { reason }, log, stopping)
      .then(() => undefined)
      .catch(() => undefined)
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  const ticker = new Cron(schedule, { paused: true, domAndDow: false }, () => {
    void run('Timer fired');
  });
  return {
    name: registration.name,
    schedule,
    next: () => cron.nextRun(),
    runNow: (reason) => run(reason),
    start() {
      ticker.resume();
      if (registration.trigger.runOnStartup === true) void run('Timer fired on startup');
    },
    async stop() {
      ticker.stop();
      cron.stop();
      await running;
    },
  };
}
