import { describe, expect, it } from 'vitest';
import { HostLog, retryDelayMs } from '../../src/host/invoke';
import { Registration } from '../../src/host/registrations';
import { parseSchedule, scheduleTimer } from '../../src/host/timers';

const timerRegistration = (
  handler: Registration['handler'],
  retry?: Registration['retry'],
  runOnStartup = false,
): Registration => ({
  name: 'tick',
  trigger: { type: 'timerTrigger', direction: 'in', schedule: '* * * * * *', runOnStartup },
  ...(retry ? { retry } : {}),
  handler,
});

describe('timers of the host', () => {
  it('reads six-field NCRONTAB and refuses anything else, naming the function', () => {
    const cron = parseSchedule('v', '0 0 */6 * * *');
    const next = cron.nextRun(new Date('2026-01-01T05:00:00Z'))!;
    expect(next.getUTCMinutes()).toBe(0);
    expect(next.getUTCSeconds()).toBe(0);
    expect(next.getUTCHours() % 6).toBe(new Date(next).getUTCHours() % 6);
    expect(() => parseSchedule('v', '*/5 * * * *')).toThrow(/v: .* six fields/);
    expect(() => parseSchedule('v', '0 0 99 * * *')).toThrow(/HOST_INVALID_SCHEDULE|v: /);
  });

  it('fires on its schedule with the timer payload, runOnStartup first', async () => {
    const payloads: { isPastDue: boolean; scheduleStatus: { next: string } }[] = [];
    const stopping = new AbortController();
    const timer = scheduleTimer(
      timerRegistration(
        (payload) => void payloads.push(payload as (typeof payloads)[0]),
        undefined,
        true,
      ),
      '* * * * * *',
      () => undefined,
      stopping.signal,
    );
    timer.start();
    await new Promise((resolve) => setTimeout(resolve, 2_300));
    stopping.abort();
    await timer.stop();
    expect(payloads.length).toBeGreaterThanOrEqual(3);
    expect(payloads.length).toBeLessThanOrEqual(4);
    expect(Date.parse(payloads[0]!.scheduleStatus.next)).toBeGreaterThan(0);
  });

  it('applies the registration retry policy, then gives up', async () => {
    let calls = 0;
    const lines: string[] = [];
    const log: HostLog = (_level, line) => lines.push(line);
    const timer = scheduleTimer(
      timerRegistration(
        () => {
          calls++;
          throw new Error('transient');
        },
        { retryStrategy: 'fixedDelay', maxRetryCount: 2, delayInterval: { seconds: 0 } },
      ),
      '0 0 0 1 1 *',
      log,
      new AbortController().signal,
    );
    await timer.runNow('by hand');
    expect(calls).toBe(3);
    expect(lines.filter((line) => /retry \d of 2/.test(line))).toHaveLength(2);
    await timer.stop();
  });

  it('computes exponential back-off between the minimum and the maximum', () => {
    const policy = {
      retryStrategy: 'exponentialBackoff' as const,
      maxRetryCount: 5,
      minimumInterval: { seconds: 30 },
      maximumInterval: { seconds: 300 },
    };
    expect([1, 2, 3, 4, 5].map((n) => retryDelayMs(policy, n))).toEqual([
      30_000, 60_000, 120_000, 240_000, 300_000,
    ]);
  });
});
