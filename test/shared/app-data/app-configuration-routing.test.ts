import { createHash, randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { AppConfigurationClientOptions } from '@azure/app-configuration';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  AppConfigurationRouting,
  AppConfigurationRoutingOptions,
} from '../../../src/shared/app-data/app-configuration-routing';
import { Routing, routingOf } from '../../../src/shared/app-data/flag-routing';
import { readPercentFor, Stage, stageWrites } from '../../../src/shared/cutover/stages';
import { AppConfigurationFlagStore } from '../../../src/shared/flags/app-configuration-flag-store';
import { FLAG } from '../../../src/shared/flags/feature-flags';
import { STAGE_ROUTING } from '../../support/routing';

const FLAG_CONTENT_TYPE = 'application/vnd.microsoft.appconfig.ff+json;charset=utf-8';
const credential = {
  getToken: async () => ({ token: 'test-token', expiresOnTimestamp: Date.now() + 3_600_000 }),
};

interface KeyValue {
  value: string;
  contentType: string | null;
  etag: string;
}

interface RecordedRequest {
  method: string;
  url: URL;
  headers: IncomingHttpHeaders;
  status: number;
}

/**
 * Enough of the App Configuration data-plane REST API for the provider and the flag store:
 * list (`GET /kv?key=&label=`, with page etags and 304 for an unchanged page), get, and put with
 * If-Match / If-None-Match, over a map. No live service here: the real clients talk HTTPS to it
 * on loopback (bearer tokens are refused over plain HTTP) and every request is recorded.
 * `failWith` answers everything with that status; `delayMs` holds every answer back.
 */
async function startAppConfiguration(tls: { key: string; cert: string }) {
  const store = new Map<string, KeyValue>();
  const requests: RecordedRequest[] = [];
  const control = { failWith: undefined as number | undefined, delayMs: 0 };
  let version = 0;

  const item = (key: string, kv: KeyValue) => ({
    key,
    label: null,
    value: kv.value,
    content_type: kv.contentType,
    etag: kv.etag,
    tags: {},
    locked: false,
    last_modified: '2026-12-01T00:00:00.000Z',
  });
  // A comma separates alternatives, a trailing `*` matches a prefix (no escapes used here).
  const matches = (filter: string, key: string) =>
    filter.split(',').some((f) => (f.endsWith('*') ? key.startsWith(f.slice(0, -1)) : key === f));
  const unquote = (etag: string | undefined) => etag?.replace(/^W\//, '').replace(/"/g, '');

  const server = https.createServer(tls, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'https://127.0.0.1');
      const reply = (status: number, body?: unknown, headers: Record<string, string> = {}) => {
        requests.push({ method: req.method ?? '', url, headers: req.headers, status });
        setTimeout(() => {
          res.writeHead(status, headers);
          res.end(body === undefined ? undefined : JSON.stringify(body));
        }, control.delayMs);
      };
      const problem = (status: number, title: string) =>
        reply(
          status,
          { type: 'https://azconfig.io/errors', title, status },
          {
            'content-type': 'application/problem+json; charset=utf-8',
          },
        );
      if (control.failWith) return problem(control.failWith, 'Service Unavailable');
      if (req.method === 'GET' && url.pathname === '/kv') {
        const keyFilter = url.searchParams.get('key') ?? '*';
        const label = url.searchParams.get('label');
        // Every key-value here has no label: a filter for a label other than none matches none.
        const items = [...store]
          .filter(([key]) => matches(keyFilter, key))
          .filter(() => label === null || label === '\0' || label === '*')
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([key, kv]) => item(key, kv));
        const etag = createHash('sha1').update(JSON.stringify(items)).digest('hex');
        if (unquote(req.headers['if-none-match']) === etag) return reply(304);
        // The page's etag is in the body (where the SDK reads it) and in the ETag header.
        return reply(
          200,
          { items, etag },
          {
            'content-type': 'application/vnd.microsoft.appconfig.kvset+json; charset=utf-8',
            etag: `"${etag}"`,
          },
        );
      }
      const key = decodeURIComponent(url.pathname.replace(/^\/kv\//, ''));
      const existing = store.get(key);
      const kvHeaders = (kv: KeyValue) => ({
        'content-type': 'application/vnd.microsoft.appconfig.kv+json; charset=utf-8',
        etag: `"${kv.etag}"`,
      });
      if (req.method === 'GET')
        return existing
          ? reply(200, item(key, existing), kvHeaders(existing))
          : problem(404, 'Not Found');
      if (req.method === 'PUT') {
        const ifMatch = req.headers['if-match'];
        if (ifMatch && unquote(ifMatch) !== existing?.etag)
          return problem(412, 'Precondition Failed');
        if (req.headers['if-none-match'] === '*' && existing)
          return problem(412, 'Precondition Failed');
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          value: string;
          content_type?: string;
        };
        const next = {
          value: body.value,
          contentType: body.content_type ?? null,
          etag: `e${++version}`,
        };
        store.set(key, next);
        return reply(200, item(key, next), kvHeaders(next));
      }
      return problem(405, 'Method Not Allowed');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoint,
    store,
    requests,
    control,
    set(key: string, value: string, contentType: string | null = null) {
      store.set(key, { value, contentType, etag: `e${++version}` });
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

type Service = Awaited<ReturnType<typeof startAppConfiguration>>;

/** A self-signed certificate for 127.0.0.1, made for this run. */
function loopbackCertificate(): { key: string; cert: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'appconfig-tls-'));
  try {
    const keyFile = path.join(dir, 'key.pem');
    const certFile = path.join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        keyFile,
        '-out',
        certFile,
      ],
      { stdio: 'ignore' },
    );
    return { key: fs.readFileSync(keyFile, 'utf8'), cert: fs.readFileSync(certFile, 'utf8') };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const USERS = Array.from({ length: 2000 }, () => randomUUID());

async function cohort(routing: Routing): Promise<Set<string>> {
  const chosen = new Set<string>();
  for (const user of USERS) if ((await routing.readStore(user)) === 'cosmos') chosen.add(user);
  return chosen;
}

const shape = (routing: Routing) => ({ ...routing, readStore: undefined });

describe('AppConfigurationRouting (@azure/app-configuration-provider against a local App Configuration)', () => {
  let tls: { key: string; cert: string };
  let service: Service;
  let clientOptions: AppConfigurationClientOptions;
  /** The cutover's own writer, as `cosmos-migration cutover` writes the flags. */
  let flagStore: AppConfigurationFlagStore;

  beforeAll(async () => {
    tls = loopbackCertificate();
    service = await startAppConfiguration(tls);
    // Trust the test certificate; no client retries, so a failing service fails at once.
    clientOptions = { tlsOptions: { ca: tls.cert }, retryOptions: { maxRetries: 0 } };
    flagStore = new AppConfigurationFlagStore(service.endpoint, credential, clientOptions);
  });

  afterAll(async () => {
    await service.stop();
  });

  const routingOn = (
    options: Partial<AppConfigurationRoutingOptions> & { told?: [string, boolean][] } = {},
  ) =>
    new AppConfigurationRouting(service.endpoint, credential, {
      refreshMs: 1000,
      startupTimeoutMs: 3000,
      clientOptions,
      // No DNS SRV lookups for replicas of 127.0.0.1.
      replicaDiscoveryEnabled: false,
      onReadError: (message, fallback) => options.told?.push([message, fallback]),
      ...options,
    });

  async function atStage(stage: Stage, percent?: number) {
    const snapshot = await flagStore.read();
    await flagStore.write(stageWrites(snapshot, stage, readPercentFor(stage, percent, 0)));
  }

  it('follows each stage as the flags in App Configuration say, as the file flags would', async () => {
    service.store.clear();
    for (const [stage, [primary, secondary, shadowReads, reads]] of Object.entries(STAGE_ROUTING)) {
      await atStage(stage as Stage);
      const told: [string, boolean][] = [];
      const routing = await routingOn({ told }).current();
      expect({ stage, ...shape(routing) }).toEqual({
        stage,
        primary,
        secondary,
        shadowReads,
        readStore: undefined,
        source: 'flags',
      });
      expect(shape(await routingOf(await flagStore.read()))).toEqual(shape(routing));
      if (reads) expect(await routing.readStore(randomUUID())).toBe(reads);
      expect(told).toEqual([]);
    }

    const lists = service.requests.filter((r) => r.method === 'GET' && r.url.pathname === '/kv');
    const filters = new Set(
      lists.map((r) => `${r.url.searchParams.get('key')}|${r.url.searchParams.get('label')}`),
    );
    expect(filters).toEqual(
      new Set([
        // The flag store's read.
        '.appconfig.featureflag/*|null',
        // The provider's: the strategy key and the migration's flags, without a label.
        'Cutover:DualWriteStrategy|\0',
        '.appconfig.featureflag/Cutover.*|\0',
        '.appconfig.featureflag/Migration.*|\0',
      ]),
    );
    expect(service.requests.every((r) => r.headers.authorization === 'Bearer test-token')).toBe(
      true,
    );
    expect(service.store.get(`.appconfig.featureflag/${FLAG.dualWrite}`)?.contentType).toBe(
      FLAG_CONTENT_TYPE,
    );
  });

  it('sends the Targeting percentage of users to Cosmos, sticky per user, as the file flags do', async () => {
    service.store.clear();
    await atStage('dual-write');
    await atStage('shadow-reads');
    await atStage('cosmos-reads', 10);
    const ten = await cohort(await routingOn().current());
    expect(ten.size / USERS.length).toBeGreaterThan(0.07);
    expect(ten.size / USERS.length).toBeLessThan(0.13);
    // The same users from another instance, and from the same flags evaluated as the file path does.
    expect(await cohort(await routingOn().current())).toEqual(ten);
    expect(await cohort(await routingOf(await flagStore.read()))).toEqual(ten);

    await atStage('cosmos-reads', 50);
    const fifty = await cohort(await routingOn().current());
    expect(fifty.size / USERS.length).toBeGreaterThan(0.45);
    expect(fifty.size / USERS.length).toBeLessThan(0.55);
    expect([...ten].every((user) => fifty.has(user))).toBe(true);
  });

  it('sees a change after the refresh interval, refreshing in the background', async () => {
    service.store.clear();
    await atStage('dual-write');
    const told: [string, boolean][] = [];
    const routing = routingOn({ told });
    const first = await routing.current();
    expect(first).toMatchObject({ secondary: 'cosmos', shadowReads: false, source: 'flags' });
    expect(routing.dualWriteStrategy).toBe('PostgresFirst');

    await atStage('shadow-reads');
    service.set('Cutover:DualWriteStrategy', 'CosmosFirst');
    // Within the interval: nothing is asked.
    const asked = service.requests.length;
    expect(await routing.current()).toBe(first);
    expect(service.requests.length).toBe(asked);

    await sleep(1100);
    // After it: the call starts a refresh and does not wait for it (the service answers late).
    service.control.delayMs = 500;
    const started = Date.now();
    expect(await routing.current()).toBe(first);
    expect(Date.now() - started).toBeLessThan(250);
    await routing.settled();
    service.control.delayMs = 0;
    const next = await routing.current();
    expect(next).toMatchObject({ secondary: 'cosmos', shadowReads: true, source: 'flags' });
    expect(routing.dualWriteStrategy).toBe('CosmosFirst');

    // Unchanged since: the pages are asked for with their etags, answered 304, nothing rebuilt.
    await sleep(1100);
    const before = service.requests.length;
    await routing.current();
    await routing.settled();
    const conditional = service.requests.slice(before);
    expect(conditional.length).toBeGreaterThan(0);
    expect(conditional.every((r) => r.headers['if-none-match'] && r.status === 304)).toBe(true);
    expect(await routing.current()).toBe(next);
    expect(told).toEqual([]);
  });

  it('acts as in postgres-only, loudly, while the first load fails, and loads at a later call', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      service.store.clear();
      await atStage('dual-write');
      service.control.failWith = 503;
      const told: [string, boolean][] = [];
      const routing = routingOn({ told, refreshMs: 7000, startupTimeoutMs: 500 });
      const started = Date.now();
      const fallback = await routing.current();
      // The request waited for the startup timeout only, not for the provider's giving up.
      expect(Date.now() - started).toBeLessThan(2000);
      expect(fallback).toMatchObject({ primary: 'postgres', secondary: null, source: 'fallback' });
      expect(await fallback.readStore(randomUUID())).toBe('postgres');
      expect(told).toEqual([
        [expect.stringMatching(/not loaded within 500 ms.*acting as in postgres-only$/), true],
      ]);

      // The provider fails no sooner than 5 s after it started; told with the service's answer.
      await routing.settled();
      expect(told[1]).toEqual([
        expect.stringMatching(/load operation failed.*HTTP 503.*acting as in postgres-only$/),
        true,
      ]);

      // Not tried again within the refresh interval...
      service.control.failWith = undefined;
      const asked = service.requests.length;
      expect((await routing.current()).source).toBe('fallback');
      expect(service.requests.length).toBe(asked);
      // ...but after it, and loaded.
      await sleep(7000 - (Date.now() - started) + 100);
      expect(await routing.current()).toMatchObject({ secondary: 'cosmos', source: 'flags' });
      expect(told).toHaveLength(2);
    } finally {
      service.control.failWith = undefined;
      warn.mockRestore();
    }
  });

  it('keeps the flags read last, loudly, when a refresh fails or gives flags it cannot use', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      service.store.clear();
      await atStage('dual-write');
      const told: [string, boolean][] = [];
      const routing = routingOn({ told });
      const good = await routing.current();
      expect(good).toMatchObject({ secondary: 'cosmos', shadowReads: false, source: 'flags' });

      await atStage('shadow-reads');
      service.control.failWith = 503;
      await sleep(1100);
      await routing.current();
      await routing.settled();
      expect(await routing.current()).toBe(good);
      expect(told).toEqual([
        [expect.stringMatching(/\(HTTP 503\); keeping the flags read last$/), false],
      ]);
      expect(warn).toHaveBeenCalledWith('Refresh failed:', expect.anything());

      // The service back, with a flag Feature Management rejects: still the last good flags.
      service.control.failWith = undefined;
      const shadow = service.store.get(`.appconfig.featureflag/${FLAG.shadowReads}`)!;
      const broken = { ...JSON.parse(shadow.value), enabled: 'yes' };
      service.set(
        `.appconfig.featureflag/${FLAG.shadowReads}`,
        JSON.stringify(broken),
        FLAG_CONTENT_TYPE,
      );
      await sleep(1100);
      await routing.current();
      await routing.settled();
      expect(await routing.current()).toBe(good);
      expect(told[1]).toEqual([
        expect.stringMatching(/'enabled' must be a boolean.*keeping the flags read last$/),
        false,
      ]);

      // Fixed: the next refresh gives the new flags.
      service.set(`.appconfig.featureflag/${FLAG.shadowReads}`, shadow.value, FLAG_CONTENT_TYPE);
      await sleep(1100);
      await routing.current();
      await routing.settled();
      expect(await routing.current()).toMatchObject({ shadowReads: true, source: 'flags' });
      expect(told).toHaveLength(2);
    } finally {
      service.control.failWith = undefined;
      warn.mockRestore();
    }
  });
});
