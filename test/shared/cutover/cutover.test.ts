import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CosmosClient } from '@azure/cosmos';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/shared/config/config';
import { createCosmosClient } from '../../../src/shared/cosmos/client';
import { CosmosCutoverStore } from '../../../src/shared/cosmos/cosmos-cutover-store';
import { initTarget } from '../../../src/shared/cosmos/target';
import { cutoverStatus, moveToStage, rollback } from '../../../src/shared/cutover/cutover';
import { CutoverDeps, CutoverReadings, SyncHandOff } from '../../../src/shared/cutover/ports';
import { FileFlagStore } from '../../../src/shared/flags/file-flag-store';
import { ENTITY_NAMES } from '../../../src/shared/entities/entity';
import { ValidationSummary } from '../../../src/shared/validation/validation-summary';
import { cosmosTarget, uniqueName } from '../../support/servers';

const NOW = new Date('2026-12-03T12:00:00.000Z');

/** A ready full validation that finished `ageSeconds` before NOW. */
const validation = (ageSeconds: number, ready = true, entities: readonly string[] = ENTITY_NAMES) =>
  ({
    validationId: 'v1',
    mode: 'full',
    entities: Object.fromEntries(entities.map((entity) => [entity, {}])),
    ready,
    consistencyRate: ready ? 1 : 0.9,
    threshold: 0.99,
    finishedAt: new Date(NOW.getTime() - ageSeconds * 1000).toISOString(),
  }) as ValidationSummary;

/** The guards' figures, set by each test: what validation, sync and replay queue report. */
interface Figures {
  validation: ValidationSummary | null;
  lagSeconds: number | null;
  pendingReplays: number;
}

describe('the stage controller (flags in a file, audit in Cosmos)', () => {
  let client: CosmosClient;

  beforeAll(() => {
    const { endpoint, key } = cosmosTarget();
    client = createCosmosClient(parseConfig({ COSMOS_ENDPOINT: endpoint, COSMOS_KEY: key }).cosmos);
  });
  afterAll(() => client?.dispose());

  /** Each test its own flags file and audit trail, and a clock a millisecond further per read. */
  const world = async (figures: Figures) => {
    const database = uniqueName('cutover');
    await initTarget(client, database, 'manual');
    let tick = 0;
    const file = path.join(
      fs.mkdtempSync(path.join(os.tmpdir(), 'cutover-')),
      'feature-flags.json',
    );
    const calls: string[] = [];
    const readings: CutoverReadings = {
      latestValidation: async () => figures.validation,
      syncLag: async () => ({ lagSeconds: figures.lagSeconds, reason: 'no sync here' }),
      pendingReplays: async () => figures.pendingReplays,
    };
    // The sync's side is recorded, not run: this test is about the controller's decisions.
    const sync: SyncHandOff = {
      drainAndPause: async () => {
        calls.push('drainAndPause');
        return { changesApplied: 3 };
      },
      resume: async () => {
        calls.push('resume');
      },
      stop: async () => {
        calls.push('stop');
        return { droppedSlot: true };
      },
    };
    const deps: CutoverDeps = {
      flags: new FileFlagStore(file),
      readings,
      audit: new CosmosCutoverStore(client, database),
      sync,
      thresholds: { validationMaxAgeSeconds: 3600, maxSyncLagSeconds: 60 },
      now: () => new Date(NOW.getTime() + tick++),
    };
    return { deps, file, calls };
  };
  const move = (
    deps: CutoverDeps,
    stage: string,
    extra: { percent?: number; force?: boolean } = {},
  ) => moveToStage(deps, { stage, reason: `to ${stage}`, actor: 'test', ...extra });

  it('moves forward one stage at a time to cosmos-only, handing the sync over at cosmos-primary', async () => {
    const { deps, file, calls } = await world({
      validation: validation(60),
      lagSeconds: 2,
      pendingReplays: 0,
    });
    for (const stage of [
      'dual-write',
      'shadow-reads',
      'cosmos-reads',
      'cosmos-primary',
      'cosmos-only',
    ]) {
      const result = await move(deps, stage, stage === 'cosmos-reads' ? { percent: 25 } : {});
      expect(result).toMatchObject({ outcome: 'moved', to: stage });
      expect((await cutoverStatus(deps)).stage).toBe(stage);
    }
    // The sync drains and pauses at cosmos-primary; at the end its slot is dropped.
    expect(calls).toEqual(['drainAndPause', 'stop']);
    expect((await deps.audit.recent(1))[0]).toMatchObject({
      to: 'cosmos-only',
      sync: { stopped: { droppedSlot: true } },
    });
    const flags = JSON.parse(fs.readFileSync(file, 'utf8')).feature_management.feature_flags;
    expect(
      Object.fromEntries(flags.map((f: { id: string; enabled: boolean }) => [f.id, f.enabled])),
    ).toEqual({
      'Cutover.DualWrite': false,
      'Cutover.ShadowReads': false,
      'Cutover.CosmosReads': true,
      'Cutover.CosmosWrites': true,
    });
    const status = await cutoverStatus(deps);
    expect(status.recentChanges.map((c) => c.to).slice(0, 2)).toEqual([
      'cosmos-only',
      'cosmos-primary',
    ]);
    const primary = status.recentChanges[1]!;
    expect(primary).toMatchObject({
      from: 'cosmos-reads',
      actor: 'test',
      reason: 'to cosmos-primary',
      sync: { paused: { changesApplied: 3 } },
    });
    expect(primary.guards.map((g) => [g.name, g.ok, g.figure])).toEqual([
      ['validation', true, 60],
      ['sync-lag', true, 2],
      ['replay-queue', true, 0],
    ]);
    await expect(move(deps, 'cosmos-primary')).rejects.toMatchObject({ code: 'CUTOVER_FINAL' });
    await expect(rollback(deps, { reason: 'too late', actor: 'test' })).rejects.toMatchObject({
      code: 'CUTOVER_FINAL',
    });
  });

  it('refuses a skipped stage and an unknown one', async () => {
    const { deps } = await world({ validation: validation(60), lagSeconds: 2, pendingReplays: 0 });
    await expect(move(deps, 'shadow-reads')).rejects.toMatchObject({
      code: 'CUTOVER_SKIPPED_STEP',
      status: 400,
    });
    await expect(move(deps, 'cosmos')).rejects.toMatchObject({
      code: 'CUTOVER_INVALID_STAGE',
      status: 400,
    });
    await expect(
      moveToStage(deps, { stage: 'dual-write', reason: '  ', actor: 'test' }),
    ).rejects.toMatchObject({
      code: 'INVALID_ARGUMENTS',
    });
    expect((await cutoverStatus(deps)).stage).toBe('postgres-only');
  });

  it('refuses a move whose guards fail, naming them; --force moves and says so in the audit', async () => {
    const figures: Figures = { validation: validation(7200), lagSeconds: 300, pendingReplays: 0 };
    const { deps } = await world(figures);
    const refused = await move(deps, 'dual-write');
    expect(refused).toMatchObject({ outcome: 'refused', refusedBy: ['validation', 'sync-lag'] });
    expect(refused.guards.find((g) => g.name === 'validation')!.message).toMatch(/7200 s ago/);
    expect((await cutoverStatus(deps)).stage).toBe('postgres-only');
    figures.validation = validation(60, false);
    figures.lagSeconds = 1;
    expect(await move(deps, 'dual-write')).toMatchObject({
      outcome: 'refused',
      refusedBy: ['validation'],
    });
    figures.validation = validation(60, true, ['users', 'posts']);
    const partial = await move(deps, 'dual-write');
    expect(partial).toMatchObject({ outcome: 'refused', refusedBy: ['validation'] });
    expect(partial.guards.find((g) => g.name === 'validation')!.message).toMatch(
      /left out comments, votes: run a full validation of every entity$/,
    );
    const forced = await move(deps, 'dual-write', { force: true });
    expect(forced).toMatchObject({ outcome: 'moved', audit: { force: true } });
  });

  it('widens the share of Cosmos reads inside cosmos-reads, and an unchanged move writes nothing', async () => {
    const { deps } = await world({ validation: validation(60), lagSeconds: 2, pendingReplays: 0 });
    for (const stage of ['dual-write', 'shadow-reads', 'cosmos-reads']) await move(deps, stage);
    expect((await cutoverStatus(deps)).cosmosReadPercent).toBe(10);
    expect(await move(deps, 'cosmos-reads', { percent: 50 })).toMatchObject({
      outcome: 'moved',
      cosmosReadPercent: 50,
    });
    expect(await move(deps, 'cosmos-reads', { percent: 50 })).toMatchObject({
      outcome: 'unchanged',
      audit: null,
    });
    await expect(move(deps, 'shadow-reads', { percent: 5 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENTS',
    });
  });

  it('rolls back from cosmos-primary only once no PostgreSQL write waits for replay, then resumes the sync', async () => {
    const figures: Figures = { validation: validation(60), lagSeconds: 2, pendingReplays: 0 };
    const { deps, calls, file } = await world(figures);
    for (const stage of ['dual-write', 'shadow-reads', 'cosmos-reads', 'cosmos-primary'])
      await move(deps, stage);
    figures.pendingReplays = 4;
    const refused = await rollback(deps, { reason: 'errors', actor: 'test', replayWaitMs: 1_500 });
    expect(refused).toMatchObject({ outcome: 'refused', refusedBy: ['replay-queue'] });
    expect((await cutoverStatus(deps)).stage).toBe('cosmos-primary');
    figures.pendingReplays = 0;
    const done = await rollback(deps, { reason: 'errors', actor: 'test' });
    expect(done).toMatchObject({
      outcome: 'moved',
      from: 'cosmos-primary',
      to: 'dual-write',
      audit: { trigger: 'rollback', sync: { resumed: true } },
    });
    expect(calls).toEqual(['drainAndPause', 'resume']);
    expect((await cutoverStatus(deps)).stage).toBe('dual-write');
    // The file holds Microsoft Feature Management's schema with dual-write's values; the read
    // share's cohort settings stay on the switched-off flag for the next move forward.
    const stored = JSON.parse(fs.readFileSync(file, 'utf8')) as {
      feature_management: { feature_flags: { id: string; enabled: boolean }[] };
    };
    expect(
      Object.fromEntries(stored.feature_management.feature_flags.map((f) => [f.id, f.enabled])),
    ).toEqual({
      'Cutover.DualWrite': true,
      'Cutover.ShadowReads': false,
      'Cutover.CosmosReads': false,
      'Cutover.CosmosWrites': false,
    });
    expect(
      stored.feature_management.feature_flags.find((f) => f.id === 'Cutover.CosmosReads'),
    ).toMatchObject({
      conditions: {
        client_filters: [
          {
            name: 'Microsoft.Targeting',
            parameters: { Audience: { DefaultRolloutPercentage: 100 } },
          },
        ],
      },
    });
    expect(await rollback(deps, { reason: 'again', actor: 'test' })).toMatchObject({
      outcome: 'unchanged',
    });
  });
});
