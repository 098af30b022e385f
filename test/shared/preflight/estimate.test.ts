import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTAINERS } from '../../../src/shared/cosmos/containers';
import { PreflightReport } from '../../../src/shared/preflight/report';
import { sampleRanges } from '../../../src/shared/preflight/estimate';
import { PostgresInspector } from '../../../src/shared/preflight/postgres-inspector';
import { createSourcePool } from '../../../src/shared/postgres/pool';
import { writeRequestUnits } from '../../../src/shared/preflight/ru-model';
import { runPreflight } from '../../../src/shared/preflight/run-preflight';
import { seedSource } from '../../../src/shared/source/seed';
import { createWorld, TestWorld } from '../../support/engine';
import { preflightRuntime } from './fixture';

describe('size and cost estimate', () => {
  let world: TestWorld;
  const settings = (extra: Record<string, string> = {}) => ({ ...world.settings, ...extra });
  const preflight = async (extra: Record<string, string> = {}) => {
    const runtime = preflightRuntime(settings(extra), world.cosmos);
    try {
      return await runPreflight(runtime.deps, { sampleRows: 30, sampleRanges: 3 });
    } finally {
      await runtime.close();
    }
  };

  beforeAll(async () => {
    world = await createWorld('pf_est');
    await seedSource(world.source, { users: 60, seed: 9 });
  });
  afterAll(() => world?.close());

  it('samples every table in spread keyset ranges and is consistent with the row counts', async () => {
    const report: PreflightReport = await preflight();
    const estimate = report.estimate!;
    expect(estimate.perEntity.map((e) => e.entity)).toEqual([
      'users',
      'posts',
      'comments',
      'votes',
    ]);
    for (const e of estimate.perEntity) {
      expect(e.rows, e.entity).toBe(report.rowCounts[e.entity]);
      expect(e.rows, e.entity).toBeGreaterThan(30);
      // Three ranges of ten rows each, not the whole table.
      expect(e.sampledRows, e.entity).toBe(30);
      expect(e.documentsPerRow, e.entity).toBe(e.entity === 'users' ? 3 : 1);
      expect(e.documents, e.entity).toBe(e.rows * e.documentsPerRow);
      expect(e.avgDocumentBytes, e.entity).toBeGreaterThan(100);
      expect(e.avgRequestUnitsPerDocument, e.entity).toBeGreaterThanOrEqual(4.95);
      expect(e.requestUnits).toBeCloseTo(e.avgRequestUnitsPerDocument * e.documents, -1);
      const container = CONTAINERS.find((c) => c.name === e.container)!;
      expect(e.ruPerSecond, e.entity).toBe(container.throughput);
      expect(e.seconds).toBeCloseTo(e.requestUnits / e.ruPerSecond, 0);
      expect(estimate.documents[e.container]).toBe(e.documents);
      expect(estimate.avgDocumentBytes[e.container]).toBe(e.avgDocumentBytes);
    }
    expect(estimate.sampledRows).toBe(120);
    expect(estimate.totalDocuments).toBe(
      estimate.perEntity.reduce((sum, e) => sum + e.documents, 0),
    );
    expect(estimate.totalRequestUnits).toBeGreaterThan(0);
    expect(estimate.estimatedSeconds).toBeCloseTo(
      estimate.perEntity.reduce((sum, e) => sum + e.requestUnits / e.ruPerSecond, 0),
      0,
    );
    expect(estimate.ruBudgetPerSecond).toBe(0);
    expect(estimate.assumptions.join('\n')).toMatch(/published table/);
    expect(report.checks.find((c) => c.id === 'source.extraction')).toMatchObject({
      verdict: 'pass',
      reason: 'read and transformed users 30, posts 30, comments 30, votes 30 rows',
    });
  });

  it('reads ranges that start at evenly spaced ids, not just the first rows', async () => {
    const pool = createSourcePool(world.sourceUrl, { max: 1 });
    try {
      const { rows } = await pool.query<{ id: string }>(
        'SELECT id::text AS id FROM votes ORDER BY id',
      );
      const ids = rows.map((r) => r.id);
      const stride = Math.floor(ids.length / 3);
      const ranges = await sampleRanges(new PostgresInspector(pool), 'votes', ids.length, {
        rowsPerEntity: 30,
        ranges: 3,
      });
      expect(ranges).toEqual([
        { from: null, to: ids[9] },
        { from: ids[stride - 1], to: ids[stride + 9] },
        { from: ids[2 * stride - 1], to: ids[2 * stride + 9] },
      ]);
    } finally {
      await pool.end();
    }
  });

  it('caps each container at MIGRATION_RU_BUDGET, and uses autoscale maxima in autoscale mode', async () => {
    const capped = (await preflight({ MIGRATION_RU_BUDGET: '100' })).estimate!;
    expect(capped.ruBudgetPerSecond).toBe(100);
    expect(capped.perEntity.map((e) => e.ruPerSecond)).toEqual([100, 100, 100, 100]);
    expect(capped.estimatedSeconds).toBeCloseTo(capped.totalRequestUnits / 100, 0);
    expect(capped.assumptions.join('\n')).toMatch(/per function instance/);

    const autoscale = (await preflight({ COSMOS_THROUGHPUT_MODE: 'autoscale' })).estimate!;
    expect(autoscale.perEntity.map((e) => e.ruPerSecond)).toEqual(
      ['users', 'posts', 'comments', 'votes'].map(
        (name) => CONTAINERS.find((c) => c.name === name)!.autoscaleMaxThroughput,
      ),
    );
  });
});

describe('write RU model', () => {
  it("follows Microsoft's published table, interpolating linearly", () => {
    expect(writeRequestUnits(100)).toBe(4.95);
    expect(writeRequestUnits(1024)).toBe(4.95);
    expect(writeRequestUnits(1536)).toBeCloseTo((4.95 + 6.29) / 2, 5);
    expect(writeRequestUnits(64 * 1024)).toBeCloseTo(22.67, 5);
    expect(writeRequestUnits(2048 * 1024)).toBeCloseTo(1250, 5);
  });
});
