import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCosmosClient } from '../../src/shared/cosmos/client';
import { parseConfig } from '../../src/shared/config/config';
import { cli, seededEnvironment } from '../support/cli';

interface ValidateJson {
  validationId: string;
  ready: boolean;
  consistencyRate: number;
  entities: Record<
    string,
    {
      checked: number;
      matched: number;
      differences: { id: string; class: string; fields: string[] }[];
      values: Record<string, unknown>;
    }
  >;
}

describe('cosmos-migration validate, repair, recover, report', () => {
  let env: Record<string, string>;
  let runId: string;
  let pool: pg.Pool;

  beforeAll(async () => {
    ({ env, pool } = await seededEnvironment('cliv', { users: 50, seed: 21 }));
    expect(cli(['init-target'], env).code).toBe(0);
    const migrated = cli(['migrate', '--json'], env);
    runId = JSON.parse(migrated.stdout).runId;
  });
  afterAll(() => pool?.end());

  it('after a clean migrate: ready, rate 1.0, exit 0', () => {
    const { code, stdout } = cli(['validate', '--full', '--json'], env);
    const result = JSON.parse(stdout) as ValidateJson;
    expect(code).toBe(0);
    expect(result).toMatchObject({ ready: true, consistencyRate: 1 });
    expect(Object.keys(result.entities)).toEqual(['users', 'posts', 'comments', 'votes']);
    for (const entity of Object.values(result.entities))
      expect(entity.checked).toBe(entity.matched);
  });

  it('after planted damage: each damaged id in its class, exit 2; after repair: ready again', async () => {
    const cosmos = createCosmosClient(parseConfig(env).cosmos);
    const posts = cosmos.database(env.COSMOS_DATABASE!).container('posts');
    const { resources } = await posts.items
      .query<{ id: string; pk: string; title: string }>('SELECT * FROM c')
      .fetchAll();
    const [changed, deleted] = [resources[1]!, resources[resources.length - 2]!];
    await posts.items.upsert({ ...changed, title: 'changed' });
    await posts.item(deleted.id, deleted.pk).delete();
    await posts.items.create({ id: 'not-a-post', pk: 'nowhere', type: 'post' });
    cosmos.dispose();

    const damaged = cli(['validate', '--full', '--json'], env);
    expect(damaged.code).toBe(2);
    const result = JSON.parse(damaged.stdout) as ValidateJson;
    expect(result.ready).toBe(false);
    expect(result.entities.posts!.differences).toEqual(
      expect.arrayContaining([
        { id: changed.id, class: 'mismatch', fields: ['/title'] },
        { id: deleted.id, class: 'missing', fields: [] },
        { id: 'not-a-post', class: 'extra', fields: [] },
      ]),
    );
    expect(result.entities.posts!.differences).toHaveLength(3);
    expect(result.entities.posts!.values).toEqual({
      [changed.id]: { '/title': { expected: changed.title, actual: 'changed' } },
    });

    const repaired = cli(['repair', result.validationId, '--delete-extras'], env);
    expect(repaired.code).toBe(0);
    expect(repaired.stdout).toMatch(/2 rows rewritten .* 1 extras deleted/);
    const again = cli(['validate', '--sample', '1000', '--json'], env);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ ready: true, consistencyRate: 1 });
  });

  it('recover takes a window; report prints the run and the latest validation', () => {
    const bad = cli(['recover', '--from', 'yesterday', '--to', '2026-01-01T00:00:00Z'], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/from: not an ISO 8601 timestamp/);
    const recovered = cli(
      ['recover', '--from', '2000-01-01T00:00:00Z', '--to', '2100-01-01T00:00:00Z', '--json'],
      env,
    );
    expect(recovered.code).toBe(0);
    expect(JSON.parse(recovered.stdout)).toMatchObject({ mode: 'window', status: 'completed' });

    const report = cli(['report', runId], env);
    expect(report.code).toBe(0);
    expect(report.stdout).toMatch(new RegExp(`^# Migration report: ${runId}`));
    expect(report.stdout).toMatch(/\| posts \|/);
    expect(report.stdout).toMatch(/\(sample, completed/);
    const json = JSON.parse(cli(['report', runId, '--format', 'json'], env).stdout);
    expect(json).toMatchObject({ runId, lostRows: 0, validation: { ready: true } });
    expect(cli(['repair'], env).stderr).toMatch(/INVALID_ARGUMENTS.*validation id/);
  });
});
