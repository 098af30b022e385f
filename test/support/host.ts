import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { parseConfig } from '../../src/shared/config/config';
import { createCosmosClient } from '../../src/shared/cosmos/client';
import { initTarget } from '../../src/shared/cosmos/target';
import { seededEnvironment } from './cli';

const ROOT = path.resolve(__dirname, '../..');
const BIN = path.join(ROOT, 'bin/cosmos-migration.js');

export interface HostProcess {
  url: string;
  /** Every line the host printed so far. */
  lines: string[];
  /** Resolves with the first line (from the start) matching, or rejects after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Ctrl-C, as a person stops it; resolves with the exit code. */
  interrupt(): Promise<number | null>;
  /** The project folder it runs in (its journals are under .cosmos-migration/). */
  dir: string;
}

/**
 * `cosmos-migration host --port 0` in a child process, in a folder of its own holding the
 * project's host.json (as `npm start` runs in the project), with the given settings.
 */
export async function startHostProcess(
  env: Record<string, string>,
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'host-')),
): Promise<HostProcess> {
  fs.copyFileSync(path.join(ROOT, 'host.json'), path.join(dir, 'host.json'));
  const child: ChildProcess = spawn(process.execPath, [BIN, 'host', '--port', '0'], {
    cwd: dir,
    env: { ...process.env, CI: 'true', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  for (const stream of [child.stdout!, child.stderr!]) {
    readline.createInterface({ input: stream }).on('line', (line) => {
      lines.push(line);
      for (const waiter of waiters.filter((w) => w.pattern.test(line))) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    });
  }
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  const waitFor = (pattern: RegExp, timeoutMs = 60_000) => {
    const seen = lines.find((line) => pattern.test(line));
    if (seen) return Promise.resolve(seen);
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new Error(
            `host printed no line matching ${pattern} in ${timeoutMs} ms:\n${lines.slice(-30).join('\n')}`,
          ),
        );
      }, timeoutMs);
      waiters.push({
        pattern,
        resolve: (line) => {
          clearTimeout(timer);
          resolve(line);
        },
      });
      void exited.then(() => {
        clearTimeout(timer);
        reject(
          new Error(`host exited before printing ${pattern}:\n${lines.slice(-30).join('\n')}`),
        );
      });
    });
  };
  const started = await waitFor(/Host started on (http:\/\/\S+)/, 90_000);
  return {
    url: /Host started on (http:\/\/\S+)/.exec(started)![1]!,
    lines,
    waitFor,
    dir,
    async interrupt() {
      if (child.exitCode === null) child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** A seeded source, a Cosmos database with its containers, and the host serving both. */
export async function startSeededHost(
  prefix: string,
  sample: { users: number; seed: number },
): Promise<HostProcess> {
  const { env, pool } = await seededEnvironment(prefix, sample);
  await pool.end();
  const cosmos = createCosmosClient(parseConfig(env).cosmos);
  await initTarget(cosmos, env.COSMOS_DATABASE!, 'manual');
  cosmos.dispose();
  return startHostProcess(env);
}
