import {
  createHttpHeaders,
  HttpClient,
  PipelineRequest,
  PipelineResponse,
} from '@azure/core-rest-pipeline';
import { describe, expect, it } from 'vitest';
import { AppConfigurationFlagStore } from '../../../src/shared/flags/app-configuration-flag-store';
import { FLAG } from '../../../src/shared/flags/feature-flags';

const ENDPOINT = 'https://flags-test.azconfig.io';
const CONTENT_TYPE = 'application/vnd.microsoft.appconfig.ff+json;charset=utf-8';
const credential = {
  getToken: async () => ({ token: 'test-token', expiresOnTimestamp: Date.now() + 3_600_000 }),
};

interface Stored {
  value: string;
  etag: string;
  tags: Record<string, string>;
}

/**
 * App Configuration's REST surface as the SDK calls it (list, get, put with If-Match or
 * If-None-Match), over a map: no live service here, so the SDK's own requests are recorded
 * and answered as the service documents them.
 */
function recordingService(initial: Record<string, Stored>) {
  const store = new Map(Object.entries(initial));
  const requests: PipelineRequest[] = [];
  let version = 100;
  const respond = (request: PipelineRequest, status: number, body?: unknown): PipelineResponse => ({
    request,
    status,
    headers: createHttpHeaders({ 'content-type': 'application/json' }),
    bodyAsText: body === undefined ? '' : JSON.stringify(body),
  });
  const item = (key: string, stored: Stored) => ({
    key,
    label: null,
    value: stored.value,
    content_type: key.startsWith('.appconfig') ? CONTENT_TYPE : null,
    etag: stored.etag,
    tags: stored.tags,
    locked: false,
    last_modified: '2026-12-01T00:00:00Z',
  });
  const httpClient: HttpClient = {
    async sendRequest(request) {
      requests.push(request);
      const url = new URL(request.url);
      if (request.method === 'GET' && url.pathname === '/kv') {
        const prefix = (url.searchParams.get('key') ?? '').replace(/\*$/, '');
        const items = [...store]
          .filter(([key]) => key.startsWith(prefix))
          .map(([k, v]) => item(k, v));
        return respond(request, 200, { items });
      }
      const key = decodeURIComponent(url.pathname.replace(/^\/kv\//, ''));
      const existing = store.get(key);
      if (request.method === 'GET')
        return existing
          ? respond(request, 200, item(key, existing))
          : respond(request, 404, { title: 'not found' });
      if (request.method === 'PUT') {
        const ifMatch = request.headers.get('If-Match');
        const ifNoneMatch = request.headers.get('If-None-Match');
        if (ifMatch && ifMatch.replace(/"/g, '') !== existing?.etag)
          return respond(request, 412, { title: 'precondition failed' });
        if (ifNoneMatch === '*' && existing)
          return respond(request, 412, { title: 'precondition failed' });
        const body = JSON.parse(String(request.body)) as {
          value: string;
          tags?: Record<string, string>;
        };
        const next = { value: body.value, etag: `e${++version}`, tags: body.tags ?? {} };
        store.set(key, next);
        return respond(request, 200, item(key, next));
      }
      return respond(request, 405);
    },
  };
  return { store, requests, httpClient };
}

const dualWriteFlag = {
  id: FLAG.dualWrite,
  enabled: false,
  description: 'set by azd',
  // Fields the SDK's object serialisation would drop.
  variants: [{ name: 'on', configuration_value: true }],
  allocation: { default_when_enabled: 'on' },
  telemetry: { enabled: true },
};

describe('AppConfigurationFlagStore (request shapes of @azure/app-configuration)', () => {
  it('reads flags from the feature-flag keys, with etags and tags, and defaults the rest', async () => {
    const service = recordingService({
      '.appconfig.featureflag/Cutover.DualWrite': {
        value: JSON.stringify(dualWriteFlag),
        etag: 'e1',
        tags: { owner: 'platform' },
      },
      'Cutover:DualWriteStrategy': { value: 'CosmosFirst', etag: 'e2', tags: {} },
    });
    const flags = new AppConfigurationFlagStore(ENDPOINT, credential, {
      httpClient: service.httpClient,
    });
    const snapshot = await flags.read();
    expect(snapshot.flags[FLAG.dualWrite]).toEqual({
      flag: dualWriteFlag,
      etag: 'e1',
      tags: { owner: 'platform' },
    });
    expect(snapshot.flags[FLAG.shadowReads]).toMatchObject({
      flag: { enabled: false },
      etag: null,
    });
    expect(snapshot.dualWriteStrategy).toBe('CosmosFirst');
    const list = service.requests.find((r) => new URL(r.url).pathname === '/kv')!;
    expect(new URL(list.url).searchParams.get('key')).toBe('.appconfig.featureflag/*');
    expect(list.headers.get('authorization')).toBe('Bearer test-token');
  });

  it('writes raw flag JSON with the flag content type, If-Match and the tags it read', async () => {
    const service = recordingService({
      '.appconfig.featureflag/Cutover.DualWrite': {
        value: JSON.stringify(dualWriteFlag),
        etag: 'e1',
        tags: { owner: 'platform' },
      },
    });
    const flags = new AppConfigurationFlagStore(ENDPOINT, credential, {
      httpClient: service.httpClient,
    });
    const stored = (await flags.read()).flags[FLAG.dualWrite];
    await flags.write([{ ...stored, flag: { ...stored.flag, enabled: true } }]);
    const put = service.requests.find((r) => r.method === 'PUT')!;
    expect(new URL(put.url).pathname).toBe('/kv/.appconfig.featureflag%2FCutover.DualWrite');
    expect(put.headers.get('If-Match')).toBe('"e1"');
    const body = JSON.parse(String(put.body));
    expect(body.content_type).toBe(CONTENT_TYPE);
    expect(body.tags).toEqual({ owner: 'platform' });
    expect(JSON.parse(body.value)).toEqual({ ...dualWriteFlag, enabled: true });
  });

  it('creates a flag it did not find with If-None-Match: *', async () => {
    const service = recordingService({});
    const flags = new AppConfigurationFlagStore(ENDPOINT, credential, {
      httpClient: service.httpClient,
    });
    const stored = (await flags.read()).flags[FLAG.shadowReads];
    await flags.write([{ ...stored, flag: { ...stored.flag, enabled: true } }]);
    const put = service.requests.find((r) => r.method === 'PUT')!;
    expect(put.headers.get('If-None-Match')).toBe('*');
    expect(put.headers.get('If-Match')).toBeUndefined();
    expect(
      JSON.parse(service.store.get('.appconfig.featureflag/Cutover.ShadowReads')!.value),
    ).toMatchObject({
      id: FLAG.shadowReads,
      enabled: true,
    });
  });

  it('turns a 412 into FLAGS_CONFLICT and stops at that flag', async () => {
    const service = recordingService({
      '.appconfig.featureflag/Cutover.DualWrite': {
        value: JSON.stringify(dualWriteFlag),
        etag: 'e1',
        tags: {},
      },
    });
    const flags = new AppConfigurationFlagStore(ENDPOINT, credential, {
      httpClient: service.httpClient,
    });
    const snapshot = await flags.read();
    service.store.get('.appconfig.featureflag/Cutover.DualWrite')!.etag = 'changed-by-someone';
    const dual = snapshot.flags[FLAG.dualWrite];
    const shadow = snapshot.flags[FLAG.shadowReads];
    await expect(
      flags.write([
        { ...dual, flag: { ...dual.flag, enabled: true } },
        { ...shadow, flag: { ...shadow.flag, enabled: true } },
      ]),
    ).rejects.toMatchObject({ code: 'FLAGS_CONFLICT', status: 409 });
    expect(service.requests.filter((r) => r.method === 'PUT')).toHaveLength(1);
  });
});
