import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HostProcess, startSeededHost } from '../support/host';

interface FunctionInfo {
  name: string;
  trigger: string;
  url?: string;
  methods?: string[];
}

/** Polls `url` until `done` holds for its JSON body, within a bounded time. */
async function pollJson<T>(
  url: string,
  done: (body: T) => boolean,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const body = (await (await fetch(url)).json()) as T;
    if (done(body) || Date.now() > deadline) return body;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe('the local function host (npm start)', () => {
  let host: HostProcess;
  let functions: FunctionInfo[];

  beforeAll(async () => {
    host = await startSeededHost('host', { users: 80, seed: 5 });
    functions = (await (await fetch(`${host.url}/admin/functions`)).json()) as FunctionInfo[];
  });

  afterAll(async () => {
    await host?.interrupt();
  });

  it('serves every registration of src/functions, named as its file, and lists it on start', () => {
    const files = fs
      .readdirSync(path.resolve(__dirname, '../../src/functions'))
      .map((file) => path.basename(file, '.ts'))
      .sort();
    expect(functions.map((fn) => fn.name).sort()).toEqual(files);
    for (const fn of functions) {
      expect(host.lines.some((line) => line.includes(`${fn.name}: `))).toBe(true);
    }
    const start = functions.find((fn) => fn.name === 'migrations-start')!;
    expect(start).toMatchObject({ trigger: 'httpTrigger', methods: ['POST'] });
    expect(start.url).toBe(`${host.url}/api/migrations`);
  });

  it('runs a migration over the queue and a full validation, as in Azure', async () => {
    const started = await fetch(`${host.url}/api/migrations`, { method: 'POST', body: '{}' });
    expect(started.status).toBe(202);
    const location = started.headers.get('location')!;
    expect(location).toMatch(/^\/api\/migrations\/run-/);
    const run = await pollJson<{ status: string; totals: Record<string, number> }>(
      `${host.url}${location}`,
      (body) => body.status !== 'running' && body.status !== 'queued',
    );
    expect(run.status).toBe('completed');
    expect(run.totals.sourceRows).toBeGreaterThan(500);
    expect(run.totals.rowsMigrated).toBe(run.totals.sourceRows);
    expect(run.totals.lostRows).toBe(0);
    await host.waitFor(/Executed 'Functions\.migrate-batch' \(Succeeded/);

    const validation = await fetch(`${host.url}/api/validations`, { method: 'POST', body: '{}' });
    expect(validation.status).toBe(202);
    const verdict = await pollJson<{ status: string; ready: boolean; mode: string }>(
      `${host.url}${validation.headers.get('location')!}`,
      (body) => body.status !== 'running',
    );
    expect(verdict).toMatchObject({ mode: 'full', ready: true });
  });

  it('runs a timer by hand and dead-letters a message its worker cannot take', async () => {
    const timer = await fetch(`${host.url}/admin/functions/validation-schedule`, {
      method: 'POST',
      body: '{}',
    });
    expect(timer.status).toBe(202);
    await host.waitFor(/Executed 'Functions\.validation-schedule' \(Succeeded/);

    const poison = await fetch(`${host.url}/admin/functions/migrate-batch`, {
      method: 'POST',
      body: JSON.stringify({ input: JSON.stringify({ batchId: 42 }) }),
    });
    expect(poison.status).toBe(202);
    await host.waitFor(/Executing 'Functions\.migrate-batch-deadletter'/);
    const failures = host.lines.filter((line) =>
      /Executed 'Functions\.migrate-batch' \(Failed.*malformed batch message/.test(line),
    );
    // Service Bus delivers it up to the max delivery count (10 by default), then dead-letters it.
    expect(failures).toHaveLength(10);
  });

  it('answers a non-HTTP function name it does not know, and an HTTP one, with 4xx', async () => {
    const unknown = await fetch(`${host.url}/admin/functions/no-such-function`, { method: 'POST' });
    expect(unknown.status).toBe(404);
    const http = await fetch(`${host.url}/admin/functions/migrations-start`, { method: 'POST' });
    expect(http.status).toBe(400);
    expect(((await http.json()) as { error: { code: string } }).error.code).toBe('NOT_INVOCABLE');
  });

  it('stops cleanly on Ctrl-C', async () => {
    expect(await host.interrupt()).toBe(0);
    expect(host.lines.at(-1)).toMatch(/host stopped/);
  });
});
