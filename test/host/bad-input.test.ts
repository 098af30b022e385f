import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HostProcess, startSeededHost } from '../support/host';

interface FunctionInfo {
  name: string;
  trigger: string;
  url?: string;
  methods?: string[];
}

interface Probe {
  what: string;
  method: string;
  url: string;
  body?: string;
}

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

/** Bodies no function takes: not JSON, not an object, wrong types for every field any of them reads. */
const BAD_BODIES: [string, string][] = [
  ['malformed JSON', '{"entities": ['],
  ['a JSON array', '[1, 2]'],
  ['a JSON string', '"migrate"'],
  ['null', 'null'],
  [
    'wrong types',
    JSON.stringify({
      entities: 5,
      batchSize: 'many',
      dryRun: 'yes',
      mode: 3,
      sampleSize: 'x',
      from: 1,
      to: false,
      deleteExtras: 'no',
    }),
  ],
  ['unknown fields', JSON.stringify({ surprise: true })],
];

/** Ids no record has, including ones a careless route would choke on. */
const UNKNOWN_IDS = [
  'run-20200101-000000-abcdef',
  'no such id',
  'é日😀',
  '..%2F..%2Fetc',
  'x'.repeat(2_000),
];

/** Each route template with its parameters filled in by `id`. */
const fill = (url: string, id: string) => url.replace(/\{[^}]+\}/g, encodeURIComponent(id));

/** Several functions may share a route, one per method (GET, POST and DELETE /api/sync). */
function probesFor(fn: FunctionInfo, routes: FunctionInfo[]): Probe[] {
  const url = fn.url!;
  const served = routes.filter((other) => other.url === url).flatMap((other) => other.methods!);
  const probes: Probe[] = [];
  for (const method of METHODS.filter((m) => !served.includes(m))) {
    probes.push({ what: `wrong method ${method}`, method, url: fill(url, UNKNOWN_IDS[0]!) });
  }
  for (const id of url.includes('{') ? UNKNOWN_IDS : []) {
    for (const method of fn.methods!) {
      probes.push({
        what: `unknown id ${id.slice(0, 20)}`,
        method,
        url: fill(url, id),
        ...(method === 'GET' ? {} : { body: '{}' }),
      });
    }
  }
  for (const method of fn.methods!.filter((m) => m !== 'GET')) {
    for (const [what, body] of BAD_BODIES) {
      probes.push({ what, method, url: fill(url, UNKNOWN_IDS[0]!), body });
    }
  }
  for (const method of fn.methods!.filter((m) => m === 'GET')) {
    for (const query of ['format=xml', 'sampleRows=abc', 'sampleRows=-1', 'unexpected=1']) {
      probes.push({
        what: `query ${query}`,
        method,
        url: `${fill(url, UNKNOWN_IDS[0]!)}?${query}`,
      });
    }
  }
  return probes;
}

describe('every HTTP route answers bad input with a 4xx and { error: { code, message } }', () => {
  let host: HostProcess;
  let routes: FunctionInfo[];

  beforeAll(async () => {
    host = await startSeededHost('host_bad_input', { users: 10, seed: 3 });
    const all = (await (await fetch(`${host.url}/admin/functions`)).json()) as FunctionInfo[];
    routes = all.filter((fn) => fn.trigger === 'httpTrigger');
  });

  afterAll(async () => {
    await host?.interrupt();
  });

  it('walks every registered route', async () => {
    expect(routes.length).toBeGreaterThanOrEqual(10);
    const probes: Probe[] = [
      ...routes.flatMap((fn) => probesFor(fn, routes)),
      { what: 'unknown route', method: 'GET', url: `${host.url}/api/no-such-route` },
      {
        what: 'unknown sub-route',
        method: 'POST',
        url: `${host.url}/api/migrations/x/y/z`,
        body: '{}',
      },
      { what: 'outside /api', method: 'GET', url: `${host.url}/migrations` },
    ];
    const wrong: string[] = [];
    for (const probe of probes) {
      const response = await fetch(probe.url, {
        method: probe.method,
        ...(probe.body === undefined
          ? {}
          : { body: probe.body, headers: { 'content-type': 'application/json' } }),
      });
      const text = await response.text();
      let error: { code?: unknown; message?: unknown } | undefined;
      try {
        error = (JSON.parse(text) as { error?: typeof error }).error;
      } catch {
        error = undefined;
      }
      const ok =
        response.status >= 400 &&
        response.status < 500 &&
        typeof error?.code === 'string' &&
        typeof error.message === 'string' &&
        !/\n\s+at /.test(text);
      if (!ok)
        wrong.push(
          `${probe.method} ${probe.url.slice(0, 120)} (${probe.what}): ${response.status} ${text.slice(0, 200)}`,
        );
      if (probe.what.startsWith('wrong method')) {
        expect(response.status, probe.url).toBe(405);
        expect(response.headers.get('allow')).toBeTruthy();
      }
      if (probe.what.startsWith('unknown route') || probe.what.startsWith('outside')) {
        expect(response.status).toBe(404);
      }
    }
    expect(wrong).toEqual([]);
    expect(probes.length).toBeGreaterThan(100);
  });
});
