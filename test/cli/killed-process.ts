import { ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';

const BIN = path.resolve(__dirname, '../../bin/cosmos-migration.js');

export interface RunningCli {
  child: ChildProcess;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `cosmos-migration` in a child process and returns at once, so the test can kill it. */
export function startCli(args: string[], env: Record<string, string>): RunningCli {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, CI: 'true', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, stderr: () => stderr, exited };
}

/**
 * Polls `probe` until it returns a value, at most `timeoutMs`; fails with `what` and the child's
 * stderr when the time is up or the child exits first.
 */
export async function until<T>(
  what: string,
  cli: RunningCli,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 60_000,
  everyMs = 20,
): Promise<T> {
  let exited = false;
  void cli.exited.then(() => (exited = true));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (exited) throw new Error(`the CLI exited before ${what}:\n${cli.stderr()}`);
    if (Date.now() > deadline)
      throw new Error(`no ${what} after ${timeoutMs} ms:\n${cli.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
