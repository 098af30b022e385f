import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trafficDepsOf } from '../../../src/cli/commands/traffic';
import { LocalEngine } from '../../../src/cli/local-engine';
import { replayWrites } from '../../../src/shared/app-data/replay/replay-writes';
import { replayDepsOf, watchdogDepsOf } from '../../../src/shared/composition/app-data';
import { cutoverStatus, moveToStage, rollback } from '../../../src/shared/cutover/cutover';
import { Stage } from '../../../src/shared/cutover/stages';
import { watchOnce } from '../../../src/shared/cutover/watchdog';
import { startMigration } from '../../../src/shared/migration/start-migration';
import { startTraffic, TrafficSummary } from '../../../src/shared/traffic/run-traffic';
import { seedSource } from '../../../src/shared/source/seed';
import { catchUp } from '../../../src/shared/sync/catch-up';
import { stopSync } from '../../../src/shared/sync/stop-sync';
import { runValidationInline } from '../../../src/shared/validation/run-inline';
import { changeFeedFunctions } from '../../support/counts';
import { createWorld, TestWorld } from '../../support/engine';
import { FaultProxy, FaultRule, startFaultProxy } from '../../support/fault-proxy';
import { cosmosTarget } from '../../support/servers';
import { startTcpProxy, TcpProxy } from '../../support/tcp-proxy';

/** The application's data containers (the migration container, where the metrics are, keeps working). */
const DATA_REQUEST = (req: { url: string }) =>
  /\/colls\/(users|posts|comments|votes)\//.test(req.url);

const WINDOW_MS = 1000;

describe('a cutover rehearsal with traffic running (real stores, sync, faults)', () => {
  let world: TestWorld;
  let cosmosProxy: FaultProxy;
  let pgProxy: TcpProxy;
  let engine: LocalEngine;
  let counts: ReturnType<typeof changeFeedFunctions>;

  beforeAll(async () => {
    cosmosProxy = await startFaultProxy(cosmosTarget().endpoint);
    world = await createWorld('rehearsal', { cosmosEndpoint: cosmosProxy.endpoint });
    await seedSource(world.source, { users: 300, seed: 13 });
    const source = new URL(world.sourceUrl);
    pgProxy = await startTcpProxy({ host: source.hostname, port: Number(source.port) });
    engine = world.engine({
      DATABASE_URL: pgProxy.via(world.sourceUrl),
      FEATURE_FLAGS_FILE: path.join(
        fs.mkdtempSync(path.join(os.tmpdir(), 'rehearsal-')),
        'feature-flags.json',
      ),
      APP_FLAGS_REFRESH: '1',
      APP_METRICS_WINDOW: String(WINDOW_MS / 1000),
      APP_METRICS_FLUSH: '1',
      WATCHDOG_WINDOWS: '6',
      WATCHDOG_GRACE: '1',
      WATCHDOG_MIN_SAMPLES: '5',
      WATCHDOG_FAILING_WINDOWS: '3',
      WATCHDOG_COOLDOWN: '2',
      // Judged against its own baseline below: the local server is no production Cosmos.
      WATCHDOG_MAX_LATENCY_RATIO: '30',
      CUTOVER_REPLAY_WAIT: '30',
      VALIDATION_RECHECK_SECONDS: '1.5',
    });
    counts = changeFeedFunctions(world.cosmos, world.database, 50);
    await startMigration(engine, { batchSize: 200, sync: true });
    await engine.localQueue.idle();
    // The change feeds from their beginning: the load's documents, once, before any traffic.
    await counts.settle();
  }, 120_000);

  afterAll(async () => {
    cosmosProxy?.clear();
    pgProxy?.restore();
    await stopSync({ capture: engine.changeStream, syncStore: engine.syncStore }).catch(
      () => undefined,
    );
    await world?.close();
    await pgProxy?.stop();
    await cosmosProxy?.stop();
  });

  /**
   * The traffic generator's Social Pulse mix through the router (open loop, 25 operations a
   * second), beside what the function app runs: sync rounds and the counts functions.
   */
  function startRehearsalTraffic() {
    const run = startTraffic(trafficDepsOf(engine), {
      rate: 25,
      durationMs: 600_000,
      users: 50,
      seed: 7,
      maxInFlight: 100,
    });
    /** The background sync's and counts' failures: expected while Cosmos fails. */
    const backgroundErrors: string[] = [];
    let stopped = false;
    const background = (async () => {
      for (let round = 0; !stopped && round < 10_000; round++) {
        await catchUp(engine.syncDeps(), 5).catch((error: Error) =>
          backgroundErrors.push(`sync: ${error.message}`),
        );
        await counts
          .settle()
          .catch((error: Error) => backgroundErrors.push(`counts: ${error.message}`));
        await sleep(300);
      }
    })();
    return {
      backgroundErrors,
      async stop() {
        stopped = true;
        run.stop();
        const summary = await run.done;
        await background;
        await engine.appData.router.settled();
        return summary;
      },
    };
  }

  /** The sync caught up, whether or not the background's round holds the slot right now. */
  async function caughtUp() {
    for (let attempt = 0; attempt < 50; attempt++) {
      const { outcome } = await catchUp(engine.syncDeps(), 50);
      if (outcome === 'caught-up') return;
      expect(outcome).toBe('busy');
      await sleep(200);
    }
    throw new Error('the sync did not catch up in 50 attempts');
  }

  /**
   * What a move forward needs, as an operator gets it: the replay pass, the sync caught up,
   * the counts functions done, a ready full validation (with traffic running, the writes
   * since the catch-up are its only differences; `exact` when the traffic has stopped).
   */
  async function readyForMove(exact = false) {
    await replayWrites(replayDepsOf(engine), 500);
    const status = await engine.syncStore.get();
    if (status?.status !== 'paused') await caughtUp();
    await counts.settle();
    const validation = await runValidationInline(
      engine,
      { mode: 'full', batchSize: 500, threshold: exact ? 1 : 0.99, trigger: 'manual' },
      2,
    );
    if (exact) expect(validation.totals).toMatchObject({ mismatched: 0, missing: 0, extra: 0 });
    if (!validation.ready)
      console.log(
        new Date().toISOString(),
        JSON.stringify((await cutoverStatus(engine.cutoverDeps())).stage),
        JSON.stringify(
          Object.values(validation.entities)
            .flatMap((e) => e!.differences)
            .slice(0, 6),
        ),
      );
    expect(validation.ready).toBe(true);
    return validation;
  }

  const move = (stage: Stage, extra: { percent?: number } = {}) =>
    moveToStage(engine.cutoverDeps(), {
      stage,
      reason: `rehearsal: ${stage}`,
      actor: 'test',
      ...extra,
    });

  /** Quiet traffic (stopped) and every store in agreement: how each test ends. */
  const expectConsistent = () => readyForMove(true);

  it('moves every stage forward and back while traffic runs, repairing and replaying what a store missed', async () => {
    let summary: TrafficSummary;
    const traffic = startRehearsalTraffic();
    try {
      await sleep(1000);
      await readyForMove();
      expect(await move('dual-write')).toMatchObject({ outcome: 'moved' });

      // dual-write: some Cosmos writes fail; the requests succeed and the sync repairs them.
      await sleep(1200);
      cosmosProxy.inject({
        status: 503,
        every: 3,
        match: (r) => DATA_REQUEST(r) && r.method !== 'GET',
      });
      await sleep(1500);
      cosmosProxy.clear();
      expect(cosmosProxy.stats().injected).toBeGreaterThan(0);
      const pendingCosmos = await engine.replayQueue.pending();
      expect(pendingCosmos).toBeGreaterThan(0);
      // A guard refuses: misses wait in the queue.
      expect(await move('shadow-reads')).toMatchObject({
        outcome: 'refused',
        refusedBy: expect.arrayContaining(['replay-queue']),
      });
      // A skipped stage is refused whatever the guards say.
      await expect(move('cosmos-reads')).rejects.toMatchObject({ code: 'CUTOVER_SKIPPED_STEP' });
      await readyForMove();
      expect(await engine.replayQueue.pending()).toBe(0);

      expect(await move('shadow-reads')).toMatchObject({ outcome: 'moved' });
      await sleep(1200);
      await readyForMove();
      expect(await move('cosmos-reads', { percent: 50 })).toMatchObject({ outcome: 'moved' });
      await sleep(1200);
      // A step back needs no validation; the step forward again does.
      expect(await move('shadow-reads')).toMatchObject({ outcome: 'moved' });
      await sleep(600);
      await readyForMove();
      expect(await move('cosmos-reads', { percent: 50 })).toMatchObject({ outcome: 'moved' });
      await sleep(600);
      await readyForMove();
      expect(await move('cosmos-primary')).toMatchObject({ outcome: 'moved' });
      expect((await engine.syncStore.get())?.status).toBe('paused');

      // cosmos-primary: PostgreSQL drops away; requests succeed on Cosmos, misses wait for replay.
      await sleep(1200);
      pgProxy.cut();
      await sleep(1000);
      pgProxy.restore();
      await sleep(300);
      expect(await engine.replayQueue.pending()).toBeGreaterThan(0);

      const back = await rollback(engine.cutoverDeps(), {
        reason: 'rehearsal: back',
        actor: 'test',
      });
      expect(back).toMatchObject({ outcome: 'moved', from: 'cosmos-primary', to: 'dual-write' });
      expect(back.guards).toEqual([expect.objectContaining({ name: 'replay-queue', ok: true })]);
      expect((await engine.syncStore.get())?.status).not.toBe('paused');
      await sleep(600);
      expect(await move('postgres-only')).toMatchObject({ outcome: 'moved', from: 'dual-write' });
      await sleep(600);
    } finally {
      summary = await traffic.stop();
    }
    expect(summary.operations.completed).toBeGreaterThan(200);
    // Every request succeeded, whichever store failed under it.
    expect(summary.operations.serverErrors, JSON.stringify(summary.errors)).toBe(0);
    await expectConsistent();
    expect((await cutoverStatus(engine.cutoverDeps())).stage).toBe('postgres-only');
  }, 180_000);

  it('rolls back on a Cosmos fault that lasts, within its window and with evidence, but not on a short one', async () => {
    let summary: TrafficSummary;
    await readyForMove();
    await sleep(2100); // the cool-down of an earlier rollback, if any
    const { stage: from } = await cutoverStatus(engine.cutoverDeps());
    const path: Stage[] = ['dual-write', 'shadow-reads', 'cosmos-reads'];
    for (const stage of path.slice(path.indexOf(from!) + 1)) {
      expect(await move(stage, stage === 'cosmos-reads' ? { percent: 100 } : {})).toMatchObject({
        outcome: 'moved',
      });
      await readyForMove();
    }
    const traffic = startRehearsalTraffic();
    const watch = () => watchOnce(watchdogDepsOf(engine));
    const faultFor = async (rule: FaultRule, ms: number) => {
      cosmosProxy.inject({ ...rule, match: DATA_REQUEST });
      const reports = [];
      const until = Date.now() + ms;
      while (Date.now() < until) {
        await sleep(WINDOW_MS / 2);
        reports.push(await watch());
      }
      cosmosProxy.clear();
      return reports;
    };
    try {
      await sleep(2500);
      expect(await watch()).toMatchObject({ action: 'none', failing: 0 });
      // One window of errors: not enough windows fail.
      const short = await faultFor({ status: 503, every: 2 }, WINDOW_MS);
      await sleep(2 * WINDOW_MS);
      expect([...short, await watch()].every((r) => r.action === 'none')).toBe(true);
      expect((await cutoverStatus(engine.cutoverDeps())).stage).toBe('cosmos-reads');

      // Errors that last: rolled back within the watchdog's window (6 windows) plus its tick.
      const started = Date.now();
      const lasting = await faultFor({ status: 503, every: 2 }, 8 * WINDOW_MS);
      const rolled = lasting.find((r) => r.action === 'rolled-back');
      expect(rolled).toBeDefined();
      expect(rolled!.failing).toBeGreaterThanOrEqual(3);
      expect(Date.now() - started).toBeLessThan(10 * WINDOW_MS);
      const [audit] = await engine.cutoverDeps().audit.recent(1);
      expect(audit).toMatchObject({ trigger: 'watchdog', from: 'cosmos-reads', to: 'dual-write' });
      expect(JSON.stringify(audit!.evidence)).toContain('"name":"error-rate","ok":false');

      // Latency that lasts: Cosmos answers, but far slower than PostgreSQL.
      cosmosProxy.clear();
      await readyForMove();
      await sleep(2100); // the cool-down after the watchdog's rollback
      for (const stage of ['shadow-reads', 'cosmos-reads'] as const) {
        expect(await move(stage)).toMatchObject({ outcome: 'moved' });
        await readyForMove();
      }
      await sleep(2500);
      const slow = await faultFor({ delayMs: 250 }, 8 * WINDOW_MS);
      const rolledOnLatency = slow.find((r) => r.action === 'rolled-back');
      expect(rolledOnLatency).toBeDefined();
      expect(
        rolledOnLatency!.windows
          .flatMap((w) => w.checks)
          .filter((c) => !c.ok)
          .map((c) => c.name),
      ).toContain('latency-p99');
    } finally {
      cosmosProxy.clear();
      summary = await traffic.stop();
    }
    // Reads fell back to PostgreSQL and Cosmos misses were recorded: nobody saw the fault.
    expect(summary.operations.serverErrors, JSON.stringify(summary.errors)).toBe(0);
    await expectConsistent();
  }, 180_000);
});
