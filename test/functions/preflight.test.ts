import { HttpRequest } from '@azure/functions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preflight } from '../../src/functions/preflight';
import { createLocalEngine } from '../../src/cli/local-engine';
import { parseConfig } from '../../src/shared/config/config';
import { useFunctionsEngine } from '../../src/shared/composition/functions-engine';
import { PreflightReport } from '../../src/shared/preflight/report';
import { seedSource } from '../../src/shared/source/seed';
import { createWorld, TestWorld } from '../support/engine';
import { functionContext } from '../support/functions';
import { cosmosTarget, uniqueName } from '../support/servers';

const logs: string[] = [];
const context = () => functionContext(logs)('preflight');

const get = (query = '') =>
  preflight(
    new HttpRequest({ url: `http://localhost/api/preflight${query}`, method: 'GET' }),
    context(),
  );

describe('preflight function', () => {
  let world: TestWorld;

  beforeAll(async () => {
    world = await createWorld('fn_pf');
    await seedSource(world.source, { users: 30, seed: 4 });
  });
  afterAll(() => world?.close());

  it('answers 200 with the report: checks, findings with counts, the estimate', async () => {
    useFunctionsEngine(world.engine());
    const response = await get('?sampleRows=50');
    expect(response.status).toBe(200);
    const report = response.jsonBody as PreflightReport;
    expect(report.ok).toBe(true);
    expect(report.checks.map((c) => c.id)).toEqual(
      expect.arrayContaining([
        'source.reachable',
        'sync.walLevel',
        'source.schema',
        'data.rowErrors',
        'target.database',
        'target.container.posts',
        'serviceBus',
        'appConfiguration',
      ]),
    );
    expect(report.findings.find((f) => f.code === 'orphanVotes')?.count).toBeGreaterThan(0);
    expect(report.estimate?.perEntity.every((e) => e.sampledRows <= 50)).toBe(true);
    expect(report.estimate?.documents.users).toBe(report.rowCounts.users! * 3);
    expect(logs.at(-1)).toMatch(/^preflight passed in \d+ ms$/);
  });

  it('still answers 200 when a check fails, with ok: false', async () => {
    useFunctionsEngine(world.engine({ COSMOS_DATABASE: uniqueName('missing') }));
    const response = await get();
    expect(response.status).toBe(200);
    const report = response.jsonBody as PreflightReport;
    expect(report.ok).toBe(false);
    expect(report.checks.find((c) => c.id === 'target.database')?.verdict).toBe('fail');
    expect(logs.at(-1)).toMatch(/^preflight failed: target\.database in \d+ ms$/);
  });

  it('answers 400 naming the parameter for bad input', async () => {
    useFunctionsEngine(world.engine());
    for (const query of ['?sampleRows=0', '?sampleRows=abc', '?surprise=1']) {
      const response = await get(query);
      expect(response.status, query).toBe(400);
      expect((response.jsonBody as { error: { message: string } }).error.message).toMatch(
        query.includes('surprise') ? /surprise/ : /^sampleRows:/,
      );
    }
  });

  it('answers 500 with a code, no stack, when preflight cannot run', async () => {
    const { endpoint, key } = cosmosTarget();
    const engine = createLocalEngine(
      parseConfig({ DATABASE_URL: '', COSMOS_ENDPOINT: endpoint, COSMOS_KEY: key }),
    );
    useFunctionsEngine(engine);
    try {
      const response = await get();
      expect(response.status).toBe(500);
      expect(response.jsonBody).toEqual({
        error: { code: 'CONFIG_INVALID', message: 'DATABASE_URL is not set' },
      });
    } finally {
      await engine.close();
    }
  });
});
