import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CosmosClient } from '@azure/cosmos';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OperationMetrics } from '../../../src/shared/app-data/operation-metrics';
import { parseConfig } from '../../../src/shared/config/config';
import { createCosmosClient } from '../../../src/shared/cosmos/client';
import { CosmosCutoverStore } from '../../../src/shared/cosmos/cosmos-cutover-store';
import { CosmosMetricsStore } from '../../../src/shared/cosmos/cosmos-metrics-store';
import { initTarget } from '../../../src/shared/cosmos/target';
import { moveToStage } from '../../../src/shared/cutover/cutover';
import { CutoverReadings } from '../../../src/shared/cutover/ports';
import { Stage, stageOf } from '../../../src/shared/cutover/stages';
import { DEFAULT_WATCHDOG, watchOnce, WatchdogDeps } from '../../../src/shared/cutover/watchdog';
import { FileFlagStore } from '../../../src/shared/flags/file-flag-store';
import { ENTITY_NAMES } from '../../../src/shared/entities/entity';
import { ValidationSummary } from '../../../src/shared/validation/validation-summary';
import { cosmosTarget, uniqueName } from '../../support/servers';

const MINUTE = 60_000;
/** Stage changes happen at T0; the clock is set per step. */
const T0 = Date.parse('2026-12-03T12:00:00.000Z');

interface Minute {
  cosmosCalls?: number;
  errorRate?: number;
  cosmosMs?: number;
  postgresMs?: number;
  shadowMismatchRate?: number;
}

describe('the rollback watchdog (windows and audit in Cosmos, flags in a file)', () => {
  let client: CosmosClient;

  beforeAll(() => {
    const { endpoint, key } = cosmosTarget();
    client = createCosmosClient(parseConfig({ COSMOS_ENDPOINT: endpoint, COSMOS_KEY: key }).cosmos);
  });
  afterAll(() => client?.dispose());

  /** A store in `stage` (moved there at T0) whose router saw `minutes` of traffic from T0 on. */
  const world = async (stage: Stage, minutes: Minute[], validationRate = 1) => {
    const database = uniqueName('watchdog');
    await initTarget(client, database, 'manual');
    let clock = T0 - 10 * MINUTE;
    const validation = (): ValidationSummary =>
      ({
        validationId: 'v1',
        mode: 'full',
        entities: Object.fromEntries(ENTITY_NAMES.map((entity) => [entity, {}])),
        ready: validationRate >= 0.99,
        consistencyRate: validationRate,
        threshold: 0.99,
        finishedAt: new Date(clock - 1000).toISOString(),
      }) as ValidationSummary;
    const readings: CutoverReadings = {
      latestValidation: async () => validation(),
      syncLag: async () => ({ lagSeconds: 1 }),
      pendingReplays: async () => 0,
    };
    const windows = new CosmosMetricsStore(client, database);
    const deps: WatchdogDeps = {
      flags: new FileFlagStore(
        path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'watchdog-')), 'feature-flags.json'),
      ),
      readings,
      audit: new CosmosCutoverStore(client, database),
      sync: {
        drainAndPause: async () => ({ changesApplied: 0 }),
        resume: async () => undefined,
        stop: async () => ({ droppedSlot: false }),
      },
      thresholds: {
        validationMaxAgeSeconds: 3600,
        maxSyncLagSeconds: 60,
        watchdogCooldownSeconds: DEFAULT_WATCHDOG.cooldownSeconds,
      },
      windows,
      settings: DEFAULT_WATCHDOG,
      now: () => new Date(clock),
    };
    const path_: Stage[] = ['dual-write', 'shadow-reads', 'cosmos-reads', 'cosmos-primary'];
    for (const next of path_.slice(0, path_.indexOf(stage as never) + 1)) {
      clock += 1000;
      if (next === stage) clock = T0;
      // A failing validation is what one test is about: the moves there are forced.
      await moveToStage(deps, {
        stage: next,
        reason: 'test',
        actor: 'test',
        force: validationRate < 0.99,
      });
    }
    const metrics = new OperationMetrics(windows, {
      instance: 'test',
      windowSeconds: 60,
      ttlSeconds: 3600,
      now: () => clock,
    });
    minutes.forEach((minute, i) => {
      const calls = minute.cosmosCalls ?? 200;
      for (let call = 0; call < calls; call++) {
        clock = T0 + i * MINUTE + 1000 + call;
        metrics.recordCall('cosmos', 'getPost', {
          ok: call >= calls * (minute.errorRate ?? 0),
          ms: minute.cosmosMs ?? 6,
        });
        metrics.recordCall('postgres', 'getPost', { ok: true, ms: minute.postgresMs ?? 5 });
        if (stage !== 'dual-write')
          metrics.recordShadow(
            'cosmos',
            call < calls * (minute.shadowMismatchRate ?? 0)
              ? { operation: 'getPost', served: 'postgres', ids: ['x'], paths: ['title'] }
              : null,
          );
      }
    });
    await metrics.flush();
    const watchAt = async (minute: number) => {
      clock = T0 + minute * MINUTE + 5000;
      return watchOnce(deps);
    };
    return { deps, watchAt, stage: async () => stageOf(await deps.flags.read()).stage };
  };

  const healthy: Minute = {};
  const failing: Minute = { errorRate: 0.1 };

  it('rolls back when 3 windows after the grace fail, writing its evidence into the audit', async () => {
    const { deps, watchAt, stage } = await world('cosmos-reads', [
      healthy,
      healthy,
      healthy,
      failing,
      failing,
      failing,
    ]);
    expect(await watchAt(5)).toMatchObject({ action: 'none', failing: 2 });
    expect(await stage()).toBe('cosmos-reads');
    const report = await watchAt(6);
    expect(report).toMatchObject({ action: 'rolled-back', failing: 3, stage: 'cosmos-reads' });
    // The grace (2 min) keeps the first two windows out.
    expect(report.windows.map((w) => w.verdict)).toEqual(['ok', 'failing', 'failing', 'failing']);
    expect(await stage()).toBe('dual-write');
    const [audit] = await deps.audit.recent(1);
    expect(audit).toMatchObject({
      trigger: 'watchdog',
      actor: 'rollback-watchdog',
      from: 'cosmos-reads',
      to: 'dual-write',
      reason: expect.stringMatching(/^watchdog: 3 of 4 windows failing/),
    });
    const evidence = audit!.evidence as { windows: { verdict: string; checks: unknown[] }[] };
    expect(evidence.windows[1]!.checks).toContainEqual({
      name: 'error-rate',
      ok: false,
      figure: 0.1,
      threshold: 0.05,
    });
    // Then the stage holds: a move forward waits for the cool-down.
    const again = await moveToStage(deps, {
      stage: 'shadow-reads',
      reason: 'retry',
      actor: 'test',
    });
    expect(again).toMatchObject({ outcome: 'refused', refusedBy: ['watchdog-cooldown'] });
    // And a stage the watchdog left has nothing more for it to do.
    expect(await watchAt(7)).toMatchObject({ action: 'none' });
  });

  it('does not roll back for a fault too short, too few samples, or only within the grace', async () => {
    const short = await world('cosmos-primary', [healthy, healthy, failing, failing, healthy]);
    expect(await short.watchAt(5)).toMatchObject({ action: 'none', failing: 2 });
    expect(await short.stage()).toBe('cosmos-primary');

    const sparse = { ...failing, cosmosCalls: 20 };
    const few = await world('cosmos-reads', [healthy, healthy, sparse, sparse, sparse, sparse]);
    const report = await few.watchAt(6);
    expect(report).toMatchObject({ action: 'none', failing: 0 });
    expect(report.windows.map((w) => w.verdict)).toEqual(Array(4).fill('inconclusive'));

    const early = await world('shadow-reads', [failing, failing, failing, healthy]);
    expect(await early.watchAt(4)).toMatchObject({ action: 'none', failing: 1 });
    expect(await early.stage()).toBe('shadow-reads');
  });

  it('judges latency against PostgreSQL, shadow-read agreement and the latest validation', async () => {
    const slow = { cosmosMs: 40, postgresMs: 10 };
    const latency = await world('cosmos-reads', [healthy, healthy, slow, slow, slow]);
    const report = await latency.watchAt(5);
    expect(report.action).toBe('rolled-back');
    expect(report.windows[0]!.checks).toContainEqual(
      expect.objectContaining({ name: 'latency-p99', ok: false, threshold: 1.5 }),
    );

    const disagreeing = { shadowMismatchRate: 0.1 };
    const shadow = await world('shadow-reads', [
      healthy,
      healthy,
      disagreeing,
      disagreeing,
      disagreeing,
    ]);
    expect(await shadow.watchAt(5)).toMatchObject({ action: 'rolled-back' });

    const invalid = await world('cosmos-reads', [healthy, healthy, healthy, healthy, healthy], 0.9);
    const verdict = await invalid.watchAt(5);
    expect(verdict).toMatchObject({ action: 'rolled-back' });
    expect(verdict.windows[0]!.checks).toContainEqual({
      name: 'validation-consistency',
      ok: false,
      figure: 0.9,
      threshold: 0.95,
    });
  });

  it('leaves postgres-only and dual-write alone', async () => {
    const dual = await world('dual-write', [failing, failing, failing, failing, failing, failing]);
    expect(await dual.watchAt(6)).toMatchObject({ action: 'none', windows: [] });
    expect(await dual.stage()).toBe('dual-write');
  });
});
