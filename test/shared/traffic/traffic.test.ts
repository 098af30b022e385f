import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalEngine } from '../../../src/cli/local-engine';
import { readPercentFor, Stage, stageOf, stageWrites } from '../../../src/shared/cutover/stages';
import { isWrite, OPERATION_KINDS } from '../../../src/shared/traffic/mix';
import {
  runTraffic,
  startTraffic,
  TrafficDeps,
  TrafficSummary,
} from '../../../src/shared/traffic/run-traffic';
import { createWorld, TestWorld } from '../../support/engine';

/** The traffic's deps as another caller (an end-to-end test) would build them from an engine. */
const depsOf = (engine: LocalEngine): TrafficDeps => ({
  data: (userId) => engine.appData.router.as(userId),
  metrics: engine.appData.metrics,
  stage: async () => stageOf(await engine.flags.read()).stage,
  settled: () => engine.appData.router.settled(),
});

/** Every count of the summary adds up, whatever the stage. */
function expectConsistent(summary: TrafficSummary) {
  const op = summary.operations;
  expect(op.scheduled).toBe(op.started + op.dropped);
  expect(op.started).toBe(op.completed + op.inFlight);
  expect(op.inFlight).toBe(0);
  expect(op.ok + op.clientErrors + op.serverErrors).toBe(op.completed);
  expect(op.reads + op.writes).toBe(op.completed);
  const kinds = Object.values(summary.byKind);
  expect(kinds.reduce((n, k) => n + k.count, 0)).toBe(op.completed);
  expect(kinds.reduce((n, k) => n + k.clientErrors, 0)).toBe(
    Object.values(summary.errors.client).reduce((a, b) => a + b, 0),
  );
  expect(op.serverErrors, JSON.stringify(summary.errors)).toBe(0);
  for (const store of ['postgres', 'cosmos'] as const) {
    const f = summary.stores![store];
    if (f.count === 0) continue;
    expect(f.p50Ms!).toBeLessThanOrEqual(f.p95Ms!);
    expect(f.p95Ms!).toBeLessThanOrEqual(f.p99Ms!);
  }
  // Every operation is one call of the router, which PostgreSQL serves or takes first here.
  expect(summary.stores!.postgres.count).toBe(op.completed);
  expect(summary.stores!.postgres.errors).toBe(0);
}

describe('traffic through the stage router (real PostgreSQL and Cosmos)', () => {
  let world: TestWorld;
  let flagsFile: string;

  beforeAll(async () => {
    world = await createWorld('traffic');
    flagsFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'traffic-')), 'feature-flags.json');
  });
  afterAll(() => world?.close());

  /** A fresh engine (and router) on this test's flags file, with the flags at `stage`. */
  const engineAt = async (stage: Stage) => {
    const engine = world.engine({ FEATURE_FLAGS_FILE: flagsFile, APP_FLAGS_REFRESH: '1' });
    const snapshot = await engine.flags.read();
    await engine.flags.write(stageWrites(snapshot, stage, readPercentFor(stage, undefined, 0)));
    return engine;
  };

  it('in dual-write, starting from no data, writes the mix to both stores', async () => {
    const engine = await engineAt('dual-write');
    const rate = 25;
    const summary = await runTraffic(depsOf(engine), {
      rate,
      durationMs: 3_000,
      users: 20,
      seed: 7,
    });

    expect(summary.finished).toBe(true);
    expect(summary.stage).toEqual({ atStart: 'dual-write', atEnd: 'dual-write' });
    expect(summary.setup).toMatchObject({ usersFound: 0, postsFound: 0, usersCreated: 5 });
    expectConsistent(summary);
    const op = summary.operations;
    expect(op.dropped).toBe(0);
    expect(op.completed).toBe(rate * 3);
    expect(summary.achievedRate).toBeGreaterThan(rate * 0.85);
    expect(summary.achievedRate).toBeLessThan(rate * 1.1);
    expect(op.writes / op.completed).toBeGreaterThan(0.15);
    expect(op.writes / op.completed).toBeLessThan(0.45);

    // Each write PostgreSQL took went to Cosmos after it; no read did (no shadow reads yet).
    const writesOk = OPERATION_KINDS.filter(isWrite).reduce((n, k) => n + summary.byKind[k].ok, 0);
    const cosmos = summary.stores!.cosmos;
    expect(cosmos.count).toBeGreaterThanOrEqual(writesOk);
    expect(cosmos.count).toBeLessThanOrEqual(op.writes);
    expect(cosmos.errors).toBe(0);
    expect(cosmos.shadowReads).toBe(0);

    // What the traffic wrote is in both stores.
    const { stores } = engine.appData;
    const users = await world.source.query<{ id: string }>('SELECT id FROM users');
    expect(users.rows.length).toBe(5 + summary.byKind.createUser.ok);
    for (const { id } of users.rows) expect(await stores.cosmos.getUser(id)).not.toBeNull();
    const posts = await world.source.query<{ id: string }>('SELECT id FROM posts');
    expect(posts.rows.length).toBeGreaterThan(0);
    for (const { id } of posts.rows) {
      expect(await stores.cosmos.getPost(id), `post ${id}`).toMatchObject({ id });
      const [inPostgres, inCosmos] = await Promise.all([
        stores.postgres.commentThread(id),
        stores.cosmos.commentThread(id),
      ]);
      expect(inCosmos.map((c) => c.id)).toEqual(inPostgres.map((c) => c.id));
    }
  });

  it('in postgres-only, acts as the users it finds and leaves Cosmos alone', async () => {
    const engine = await engineAt('postgres-only');
    const summary = await runTraffic(depsOf(engine), { rate: 10, durationMs: 1_500, seed: 8 });
    expect(summary.stage).toEqual({ atStart: 'postgres-only', atEnd: 'postgres-only' });
    expect(summary.setup.usersFound).toBeGreaterThan(0);
    expect(summary.setup.postsFound).toBeGreaterThan(0);
    expect(summary.setup.usersCreated).toBe(0);
    expectConsistent(summary);
    expect(summary.stores!.cosmos.count).toBe(0);
  });

  it('in shadow-reads, every read is compared on Cosmos; pause, resume and stop from outside', async () => {
    const engine = await engineAt('shadow-reads');
    const controller = new AbortController();
    const run = startTraffic(depsOf(engine), {
      rate: 20,
      durationMs: 30_000,
      seed: 9,
      signal: controller.signal,
    });
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await run.pause()).toBe(true);
    const paused = run.snapshot();
    expect(paused.operations.inFlight).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(run.snapshot().operations.started).toBe(paused.operations.started);
    run.resume();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    controller.abort();
    const summary = await run.done;

    expect(summary.finished).toBe(true);
    expect(summary.elapsedMs).toBeLessThan(10_000);
    expect(summary.activeMs).toBeLessThan(summary.elapsedMs - 300);
    expect(summary.operations.started).toBeGreaterThan(paused.operations.started);
    expectConsistent(summary);
    const cosmos = summary.stores!.cosmos;
    expect(cosmos.shadowReads).toBe(summary.operations.reads);
    expect(cosmos.shadowMismatches).toBeLessThanOrEqual(cosmos.shadowReads);
  });

  it('refuses a rate or duration out of bounds, naming it', () => {
    const engine = world.engine({ FEATURE_FLAGS_FILE: flagsFile });
    expect(() => startTraffic(depsOf(engine), { rate: 0, durationMs: 1_000 })).toThrow(
      /traffic rate: .*>=1/,
    );
    expect(() => startTraffic(depsOf(engine), { rate: 5, durationMs: 4_000_000 })).toThrow(
      /traffic durationMs/,
    );
  });
});
