import { describe, expect, it } from 'vitest';
import { modelClock } from '../../../src/shared/traffic/clock';
import { OpenLoop } from '../../../src/shared/traffic/open-loop';
import { BoundedSample } from '../../../src/shared/traffic/known-data';
import { chooser } from '../../../src/shared/traffic/random';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('the open-loop schedule', () => {
  it('starts rate × duration operations on schedule, however long they take', async () => {
    const loop = new OpenLoop({ rate: 100, durationMs: 1_000, maxInFlight: 1_000 });
    const startedAt: number[] = [];
    const t0 = performance.now();
    await loop.run(async () => {
      startedAt.push(performance.now() - t0);
      await sleep(200);
    });
    const figures = loop.figures();
    expect(figures).toMatchObject({ scheduled: 100, started: 100, dropped: 0 });
    expect(figures.elapsedMs).toBeLessThan(1_100);
    // Open loop: 200 ms operations did not slow the schedule (about 20 in flight at once).
    expect(startedAt[50]!).toBeGreaterThan(450);
    expect(startedAt[50]!).toBeLessThan(650);
    expect(await loop.idle(1_000)).toBe(true);
  });

  it('drops what comes due over the cap, and stops at once', async () => {
    const loop = new OpenLoop({ rate: 200, durationMs: 10_000, maxInFlight: 5 });
    setTimeout(() => loop.stop(), 500);
    await loop.run(() => sleep(100));
    const f = loop.figures();
    expect(f.elapsedMs).toBeLessThan(700);
    expect(f.scheduled).toBe(f.started + f.dropped);
    expect(f.dropped).toBeGreaterThan(f.started);
    expect(f.started).toBeLessThanOrEqual(5 * 7);
  });

  it('holds the schedule while paused: no burst on resume', async () => {
    const loop = new OpenLoop({ rate: 50, durationMs: 1_000, maxInFlight: 100 });
    setTimeout(() => loop.pause(), 300);
    setTimeout(() => loop.resume(), 700);
    await loop.run(async () => undefined);
    const f = loop.figures();
    // 600 ms active at 50/s; the 400 ms paused are neither run nor made up.
    expect(f.activeMs).toBeGreaterThan(500);
    expect(f.activeMs).toBeLessThan(700);
    expect(f.started).toBeGreaterThanOrEqual(Math.floor((f.activeMs * 50) / 1000));
    expect(f.started).toBeLessThanOrEqual(Math.ceil((f.activeMs * 50) / 1000) + 1);
  });
});

describe('model timestamps and bounded samples', () => {
  it('gives UTC microsecond timestamps, strictly increasing within a millisecond', () => {
    const clock = modelClock(() => Date.UTC(2026, 11, 3, 12, 0, 0, 123));
    const [a, b] = [clock(), clock()];
    expect(a).toBe('2026-12-03T12:00:00.123000Z');
    expect(b).toBe('2026-12-03T12:00:00.123001Z');
    const real = modelClock();
    const times = Array.from({ length: 1000 }, () => real());
    expect(times.every((t) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/.test(t))).toBe(true);
    expect([...times].sort()).toEqual(times);
    expect(new Set(times).size).toBe(times.length);
  });

  it('keeps at most its cap, each key once, and removes in place', () => {
    const sample = new BoundedSample<{ id: string }>(10, (x) => x.id, chooser(1));
    for (let i = 0; i < 100; i++) sample.add({ id: String(i % 30) });
    expect(sample.size).toBe(10);
    const kept = Array.from({ length: 200 }, () => sample.pick()!.id);
    expect(new Set(kept).size).toBeLessThanOrEqual(10);
    for (const id of new Set(kept)) sample.remove(id);
    expect(sample.size).toBe(0);
    expect(sample.pick()).toBeUndefined();
  });
});
