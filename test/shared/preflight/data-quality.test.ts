import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENTITY_NAMES } from '../../../src/shared/entities/entity';
import { entityModule } from '../../../src/shared/entities/registry';
import { transformBatch } from '../../../src/shared/migration/transform-batch';
import { uuidPredecessor } from '../../../src/shared/preflight/data-quality';
import { PreflightRuntime } from '../../../src/shared/preflight/deps';
import { PreflightReport } from '../../../src/shared/preflight/report';
import { runPreflight } from '../../../src/shared/preflight/run-preflight';
import { seedSource } from '../../../src/shared/source/seed';
import { createWorld, TestWorld } from '../../support/engine';
import { ids, PLANTED, plantCleanRows, plantProblems, preflightRuntime } from './fixture';

const ROW_ERROR_CODES: Record<string, string> = {
  missingKey: 'MISSING_KEY',
  nonFiniteNumber: 'NON_FINITE_NUMBER',
  unrepresentableJsonNumber: 'UNREPRESENTABLE_NUMBER',
  invalidTimestamp: 'INVALID_TIMESTAMP',
  idTooLong: 'ID_TOO_LONG',
  documentTooLarge: 'DOCUMENT_TOO_LARGE',
};

async function worldWith(prefix: string, plant: (world: TestWorld) => Promise<unknown>) {
  const world = await createWorld(prefix);
  await plant(world);
  const runtime = preflightRuntime(world.settings, world.cosmos);
  return { world, runtime };
}

const verdict = (report: PreflightReport, id: string) =>
  report.checks.find((c) => c.id === id)?.verdict;

describe('data-quality findings on planted problems', () => {
  let world: TestWorld;
  let runtime: PreflightRuntime;
  let report: PreflightReport;

  beforeAll(async () => {
    ({ world, runtime } = await worldWith('pf_dq', (w) => plantProblems(w.source)));
    report = await runPreflight(runtime.deps, { examples: 3 });
  });
  afterAll(async () => {
    await runtime?.close();
    await world?.close();
  });

  it('counts each planted problem exactly, and nothing else', () => {
    const found = report.findings.map((f) => [f.entity, f.code, f.count]);
    const sort = (list: unknown[][]) => [...list].sort((a, b) => a.join().localeCompare(b.join()));
    expect(sort(found)).toEqual(sort(PLANTED));
  });

  it('names a few affected rows, the smallest ids first', () => {
    const stale = report.findings.find((f) => f.code === 'staleAuthorUsername')!;
    expect(stale.examples).toEqual([ids.P(6), ids.P(7), ids.P(8)]);
    const large = report.findings.find((f) => f.code === 'documentTooLarge')!;
    expect(large.examples).toEqual([ids.P(16), ids.P(17)]);
    const orphans = report.findings.find((f) => f.code === 'orphanVotes')!;
    expect(orphans.examples).toHaveLength(3);
    expect(orphans.effect).toBe('migratedAsIs');
  });

  it('fails the row-error check and warns about the rest', () => {
    const rowErrors = report.checks.find((c) => c.id === 'data.rowErrors')!;
    expect(rowErrors.verdict).toBe('fail');
    expect(rowErrors.reason).toMatch(/posts\.documentTooLarge 2/);
    expect(verdict(report, 'data.findings')).toBe('warn');
    expect(report.ok).toBe(false);
    expect(report.notRun).toEqual([]);
  });

  it('agrees with the transform, row by row, on which rows become row errors', async () => {
    for (const name of ENTITY_NAMES) {
      const entity = entityModule(name);
      const rows = await runtime.deps.source.readBatch(entity, { from: null, to: null });
      const fromTransform: Record<string, string[]> = {};
      for (const error of transformBatch(entity, rows).rowErrors)
        (fromTransform[error.code] ??= []).push(error.id);
      const fromSql: Record<string, number> = {};
      for (const f of report.findings)
        if (f.entity === name && f.effect === 'rowError')
          fromSql[ROW_ERROR_CODES[f.code]!] = f.count;
      const transformCounts = Object.fromEntries(
        Object.entries(fromTransform).map(([code, list]) => [code, list.length]),
      );
      expect(transformCounts, name).toEqual(fromSql);
    }
  });
});

describe('data-quality findings on clean data', () => {
  it('finds nothing in a clean source', async () => {
    const { world, runtime } = await worldWith('pf_clean', (w) => plantCleanRows(w.source));
    try {
      const report = await runPreflight(runtime.deps);
      expect(report.findings).toEqual([]);
      expect(verdict(report, 'data.rowErrors')).toBe('pass');
      expect(verdict(report, 'data.findings')).toBe('pass');
      expect(report.checks.filter((c) => c.verdict === 'fail')).toEqual([]);
      expect(report.ok).toBe(true);
      expect(report.rowCounts).toEqual({ users: 3, posts: 2, comments: 3, votes: 3 });
    } finally {
      await runtime.close();
      await world.close();
    }
  });
});

describe('data-quality findings on a seeded sample', () => {
  let world: TestWorld;
  let runtime: PreflightRuntime;
  let report: PreflightReport;

  beforeAll(async () => {
    ({ world, runtime } = await worldWith('pf_seed', (w) =>
      seedSource(w.source, { users: 80, seed: 5 }),
    ));
    report = await runPreflight(runtime.deps);
  });
  afterAll(async () => {
    await runtime?.close();
    await world?.close();
  });

  it('counts the seed generator’s orphan votes as the migration does', async () => {
    const votes = entityModule('votes');
    const rows = await runtime.deps.source.readBatch(votes, { from: null, to: null });
    const { findings, rowErrors } = transformBatch(votes, rows);
    expect(rowErrors).toEqual([]);
    const orphans = report.findings.find((f) => f.code === 'orphanVotes');
    expect(orphans?.count).toBe(findings.orphanVotes);
    expect(report.findings.filter((f) => f.effect === 'rowError')).toEqual([]);
    const stale = await world.source.query(
      `SELECT count(*)::int AS n FROM posts p
       WHERE comment_count <> (SELECT count(*) FROM comments c WHERE c.post_id = p.id)`,
    );
    expect(report.findings.find((f) => f.code === 'staleCommentCount')?.count).toBe(
      stale.rows[0].n,
    );
  });

  it('finds no thread path problem in seeded threads, and finds a planted wrong path', async () => {
    const { rows } = await world.source.query(
      'SELECT count(*)::int AS replies, max(depth) AS deepest FROM comments WHERE depth > 0',
    );
    expect(rows[0].replies).toBeGreaterThan(20);
    expect(rows[0].deepest).toBeGreaterThanOrEqual(2);
    const threadFindings = (r: PreflightReport) =>
      r.findings.filter((f) => f.code === 'threadPathMismatch' || f.code === 'replyOnOtherPost');
    expect(threadFindings(report)).toEqual([]);
    const comments = entityModule('comments');
    const documents = transformBatch(
      comments,
      await runtime.deps.source.readBatch(comments, { from: null, to: null }),
    ).documents;
    const stored = await world.source.query('SELECT id::text AS id, path FROM comments');
    expect(
      Object.fromEntries(documents.map((d) => [d.id, (d.threading as { path: string }).path])),
    ).toEqual(Object.fromEntries(stored.rows.map((r) => [r.id, r.path])));

    // A reply two levels down, without replies of its own, whose path skips its parent.
    const planted = await world.source.query(
      `UPDATE comments c SET path = parent.parent_id::text || '/' || c.id::text || '/'
       FROM comments parent
       WHERE c.id = (SELECT id FROM comments r WHERE depth = 2
                       AND NOT EXISTS (SELECT 1 FROM comments k WHERE k.parent_id = r.id)
                     ORDER BY id LIMIT 1)
         AND parent.id = c.parent_id
       RETURNING c.id`,
    );
    expect(planted.rowCount).toBe(1);
    const after = await runPreflight(runtime.deps);
    expect(threadFindings(after)).toEqual([
      expect.objectContaining({
        code: 'threadPathMismatch',
        count: 1,
        effect: 'migratedAsIs',
        examples: [planted.rows[0].id],
      }),
    ]);
  });
});

describe('uuidPredecessor', () => {
  it('is the uuid just below, so (pred, id] holds exactly one id', () => {
    expect(uuidPredecessor('00000000-0000-0000-0000-000000000100')).toBe(
      '00000000-0000-0000-0000-0000000000ff',
    );
    expect(uuidPredecessor('b0000000-0000-4000-8000-000000000000')).toBe(
      'b0000000-0000-4000-7fff-ffffffffffff',
    );
    expect(uuidPredecessor('b0000000-0000-0000-0000-000000000000')).toBe(
      'afffffff-ffff-ffff-ffff-ffffffffffff',
    );
    expect(uuidPredecessor('00000000-0000-0000-0000-000000000000')).toBeNull();
  });
});
