import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initSource } from '../../src/shared/source/schema';
import { seedSource } from '../../src/shared/source/seed';
import { cli } from '../support/cli';
import { cosmosTarget, freshDatabase, uniqueName } from '../support/servers';

describe('cosmos-migration command line', () => {
  let env: Record<string, string>;

  beforeAll(async () => {
    const url = await freshDatabase('cli');
    const pool = new pg.Pool({ connectionString: url });
    await initSource(pool);
    await seedSource(pool, { users: 60, seed: 11 });
    await pool.query(
      `UPDATE posts SET sentiment_score = 'Infinity' WHERE id = (SELECT id FROM posts ORDER BY id LIMIT 1)`,
    );
    await pool.end();
    const { endpoint, key } = cosmosTarget();
    env = {
      DATABASE_URL: url,
      COSMOS_ENDPOINT: endpoint,
      COSMOS_KEY: key,
      COSMOS_DATABASE: uniqueName('cli'),
    };
  });

  it('refuses to migrate into a target without containers, naming them', () => {
    const { code, stderr, stdout } = cli(['migrate', '--json'], env);
    expect(code).toBe(1);
    expect(JSON.parse(stdout).error.code).toBe('TARGET_MISSING');
    expect(stderr).toMatch(/lacks container\(s\) users, posts, comments, votes, migration/);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('init-target then migrate --json accounts for every source row, exit 2 on row errors', () => {
    expect(cli(['init-target'], env).code).toBe(0);
    const { code, stdout } = cli(['migrate', '--json', '--batch-size', '100'], env);
    const summary = JSON.parse(stdout);
    expect(code).toBe(2);
    expect(summary.status).toBe('completed_with_errors');
    expect(summary.lostRows).toBe(0);
    for (const entity of ['users', 'posts', 'comments', 'votes']) {
      const e = summary.entities[entity];
      expect(e.sourceRows, entity).toBe(e.rowsMigrated + e.rowErrors);
    }
    expect(summary.entities.users.documentsWritten).toBe(summary.entities.users.sourceRows * 3);
    expect(summary.rowErrors).toEqual([
      expect.objectContaining({
        table: 'posts',
        code: 'NON_FINITE_NUMBER',
        message: expect.stringMatching(/Infinity/),
      }),
    ]);
    expect(typeof summary.durationMs).toBe('number');

    const status = cli(['status', summary.runId, '--json'], env);
    expect(status.code).toBe(2);
    expect(JSON.parse(status.stdout).runId).toBe(summary.runId);
  });

  it('says in one line when PostgreSQL cannot be reached or input is wrong', () => {
    const unreachable = cli(['migrate'], { ...env, DATABASE_URL: 'postgres://u:p@127.0.0.1:1/db' });
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr.trim().split('\n').at(-1)).toMatch(
      /^error \[SOURCE_UNREACHABLE\]: cannot reach PostgreSQL/,
    );
    const badBatch = cli(['migrate', '--batch-size', '10'], env);
    expect(badBatch.code).toBe(1);
    expect(badBatch.stderr).toMatch(/--batch-size must be an integer from 100 to 5000/);
    expect(cli(['migrate', '--entities', 'users,likes'], env).stderr).toMatch(
      /--entities takes a list/,
    );
  });

  afterAll(() => undefined);
});
