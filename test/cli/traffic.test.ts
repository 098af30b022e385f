import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, seededEnvironment } from '../support/cli';

describe('cosmos-migration traffic', () => {
  let env: Record<string, string>;
  let end: () => Promise<void>;

  beforeAll(async () => {
    const seeded = await seededEnvironment('traffic_cli', { users: 30, seed: 5 });
    end = () => seeded.pool.end();
    // Its own flags file (no file yet: postgres-only), never the working directory's.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'traffic-cli-'));
    env = { ...seeded.env, FEATURE_FLAGS_FILE: path.join(dir, 'feature-flags.json') };
    expect(cli(['init-target'], env).code).toBe(0);
  });
  afterAll(() => end?.());

  it('--rate 20 --duration 2 --json: one summary on stdout, every figure adding up', () => {
    const { code, stdout, stderr } = cli(
      ['traffic', '--rate', '20', '--duration', '2', '--seed', '3', '--json'],
      env,
    );
    expect(code, stderr).toBe(0);
    const summary = JSON.parse(stdout);
    expect(summary.stage).toEqual({ atStart: 'postgres-only', atEnd: 'postgres-only' });
    expect(summary.requested).toMatchObject({ rate: 20, durationMs: 2000, seed: 3 });
    expect(summary.setup.usersFound).toBeGreaterThan(0);
    const op = summary.operations;
    expect(op.completed).toBe(40);
    expect(op.ok + op.clientErrors + op.serverErrors).toBe(op.completed);
    expect(op.serverErrors).toBe(0);
    expect(summary.achievedRate).toBeGreaterThan(15);
    expect(summary.achievedRate).toBeLessThan(22);
    expect(summary.stores.postgres.count).toBe(op.completed);
    expect(summary.stores.cosmos.count).toBe(0);
    const p = summary.stores.postgres;
    expect(p.p50Ms).toBeLessThanOrEqual(p.p95Ms);
    expect(p.p95Ms).toBeLessThanOrEqual(p.p99Ms);
    // Logs on stderr only, no progress line off a TTY.
    expect(stderr).toMatch(/traffic: 20 operations\/s for 2 s through the router/);
    expect(stderr).not.toMatch(/\r/);
  });

  it('prints a table without --json', () => {
    const { code, stdout } = cli(['traffic', '--rate', '5', '--duration', '1'], env);
    expect(code).toBe(0);
    expect(stdout).toMatch(
      /^traffic: 5 operations in 1\.0 s \((4\.9\d|5)\/s of 5 requested\), stage postgres-only\n/,
    );
    expect(stdout).toMatch(/^postgres +5 +0 /m);
  });

  it('refuses bad flags with exit 1 and the reason, before touching a store', () => {
    const cases: [string[], RegExp][] = [
      [
        ['--duration', '2'],
        /traffic needs --rate N \(operations per second, 1 to 1000\) and --duration S \(seconds, 1 to 3600\)/,
      ],
      [['--rate', '0', '--duration', '2'], /--rate must be an integer from 1 to 1000, got "0"/],
      [
        ['--rate', '5', '--duration', '3601'],
        /--duration must be an integer from 1 to 3600, got "3601"/,
      ],
    ];
    for (const [args, message] of cases) {
      const { code, stderr } = cli(['traffic', ...args], env);
      expect(code, args.join(' ')).toBe(1);
      expect(stderr.trim().split('\n').at(-1)).toMatch(/^error \[INVALID_ARGUMENTS\]: /);
      expect(stderr).toMatch(message);
    }
    const json = cli(['traffic', '--rate', '-3', '--duration', '2', '--json'], env);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout).error.code).toBe('INVALID_ARGUMENTS');
  });

  it('refuses to write its synthetic data into stores off this machine without --yes', () => {
    const remote = {
      ...env,
      COSMOS_ENDPOINT: 'https://an-account.documents.azure.com:443/',
    };
    const { code, stderr } = cli(['traffic', '--rate', '5', '--duration', '1'], remote);
    expect(code).toBe(1);
    expect(stderr.trim().split('\n').at(-1)).toBe(
      'error [TRAFFIC_NOT_LOCAL]: traffic writes synthetic users, posts, comments and votes into Cosmos at an-account.documents.azure.com: pass --yes to rehearse against them (never against production data)',
    );
  });
});
