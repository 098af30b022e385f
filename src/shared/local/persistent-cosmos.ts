import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './free-port';
import { cosmosChildEntry, LOCAL_COSMOS_KEY } from './local-cosmos';

export interface PersistentCosmos {
  endpoint: string;
  key: string;
  pid: number;
  /** False when this call started it. */
  reused: boolean;
}

interface StateFile {
  endpoint: string;
  pid: number;
}

const STARTUP_TIMEOUT_MS = 15_000;

/**
 * The CLI's local Cosmos server: one detached process that outlives each command, so that
 * `migrate` then `validate` see the same documents (the server keeps them in memory only).
 * Its address is kept in `<stateDir>/cosmos.json`; a dead or silent one is replaced.
 */
export async function ensureLocalCosmos(stateDir: string): Promise<PersistentCosmos> {
  const file = path.join(stateDir, 'cosmos.json');
  const known = readState(file);
  if (known && isAlive(known.pid) && (await responds(known.endpoint))) {
    return { ...known, key: LOCAL_COSMOS_KEY, reused: true };
  }
  fs.mkdirSync(stateDir, { recursive: true });
  const port = await freePort();
  const log = fs.openSync(path.join(stateDir, 'cosmos.log'), 'a');
  const child = spawn(
    process.execPath,
    ['--max-old-space-size=8192', cosmosChildEntry(), String(port)],
    { detached: true, stdio: ['ignore', log, log] },
  );
  child.unref();
  fs.closeSync(log);
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (!(await responds(endpoint))) {
    if (Date.now() > deadline || child.exitCode !== null) {
      throw new Error(
        `the local Cosmos server did not start; see ${path.join(stateDir, 'cosmos.log')}`,
      );
    }
    await sleep(100);
  }
  const state: StateFile = { endpoint, pid: child.pid! };
  fs.writeFileSync(file, `${JSON.stringify(state)}\n`);
  return { ...state, key: LOCAL_COSMOS_KEY, reused: false };
}

/** Stops the server `ensureLocalCosmos` started; its documents are gone with it. */
export function stopLocalCosmos(stateDir: string): { stopped: boolean; pid?: number } {
  const file = path.join(stateDir, 'cosmos.json');
  const known = readState(file);
  fs.rmSync(file, { force: true });
  if (!known || !isAlive(known.pid)) return { stopped: false };
  process.kill(known.pid, 'SIGTERM');
  return { stopped: true, pid: known.pid };
}

function readState(file: string): StateFile | undefined {
  try {
    const state = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<StateFile>;
    return typeof state.endpoint === 'string' && typeof state.pid === 'number'
      ? { endpoint: state.endpoint, pid: state.pid }
      : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function responds(endpoint: string): Promise<boolean> {
  try {
    await fetch(endpoint, { signal: AbortSignal.timeout(1_000) });
    return true;
  } catch {
    return false;
  }
}
