import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, seededEnvironment } from '../support/cli';

describe('cosmos-migration preflight', () => {
  let env: Record<string, string>;
  let pool: pg.Pool;

  beforeAll(async () => {
    ({ env, pool } = await seededEnvironment('cli_pf', { users: 50, seed: 21 }));
  });
  afterAll(() => pool?.end());

  it('exits 2 naming the missing target, with the rest of the report', () => {
    const { code, stdout } = cli(['preflight', '--json'], env);
    expect(code).toBe(2);
    const report = JSON.parse(stdout);
    expect(report.ok).toBe(false);
    expect(report.checks.find((c: { id: string }) => c.id === 'target.database')).toMatchObject({
      verdict: 'fail',
      reason: expect.stringMatching(/does not exist: run `cosmos-migration init-target`/),
    });
    expect(report.estimate.totalDocuments).toBeGreaterThan(0);
  });

  it('exits 0 when only warnings remain, as one JSON document or a checklist', () => {
    expect(cli(['init-target'], env).code).toBe(0);
    const json = cli(['preflight', '--json'], env);
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout);
    expect(report.ok).toBe(true);
    expect(report.findings.map((f: { code: string }) => f.code)).toContain('orphanVotes');

    const text = cli(['preflight'], env);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^preflight: ready: \d+ passed, \d+ warnings, 0 failed/);
    expect(text.stdout).toMatch(/✔ PostgreSQL reachable +connected to database cli_pf_/);
    expect(text.stdout).toMatch(/! Service Bus reachable +not configured/);
    expect(text.stdout).toMatch(/data-quality findings \(rows, over the whole table\)/);
    expect(text.stdout).toMatch(/^ {2}votes +orphanVotes +\d+ +migratedAsIs +votes whose target/m);
    expect(text.stdout).toMatch(/estimate \(from \d+ sampled rows\)/);
    expect(text.stdout).toMatch(/\n {2}users +50 +3 +150 /);
  });

  it('exits 2 when rows cannot migrate, and 1 when preflight cannot run', async () => {
    await pool.query(
      `UPDATE comments SET sentiment_score = 'NaN' WHERE id = (SELECT id FROM comments ORDER BY id LIMIT 1)`,
    );
    const failing = cli(['preflight'], env);
    expect(failing.code).toBe(2);
    expect(failing.stdout).toMatch(/✖ rows the load cannot migrate +comments\.nonFiniteNumber 1: /);

    const broken = cli(['preflight', '--json'], { ...env, MIGRATION_RU_BUDGET: '-5' });
    expect(broken.code).toBe(1);
    expect(JSON.parse(broken.stdout).error.code).toBe('CONFIG_INVALID');
    expect(broken.stderr).not.toMatch(/\n\s+at /);
  });
});
