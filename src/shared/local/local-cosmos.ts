import { fork } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';

export interface LocalCosmos {
  /** http://127.0.0.1:PORT; clients need connectionPolicy.enableEndpointDiscovery = false. */
  endpoint: string;
  key: string;
  stop(): Promise<void>;
}

export interface LocalCosmosOptions {
  port?: number;
  /** The server's own output (it prints handler errors); silent without it. */
  onLog?: (line: string) => void;
}

/** The well-known emulator key; the local server accepts any key. */
export const LOCAL_COSMOS_KEY =
  'C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==';

/** An in-memory Cosmos-API server (@vercel/cosmosdb-server) over HTTP on loopback, in a child process. */
export async function startLocalCosmos(options: LocalCosmosOptions = {}): Promise<LocalCosmos> {
  const child = fork(cosmosChildEntry(), [String(options.port ?? 0)], {
    // It keeps every document in memory.
    execArgv: ['--max-old-space-size=8192'],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const recent: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    readline.createInterface({ input: stream }).on('line', (line) => {
      recent.push(line);
      if (recent.length > 20) recent.shift();
      options.onLog?.(line);
    });
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (message: { ready?: boolean; port?: number }) => {
      if (message.ready && message.port) resolve(message.port);
    });
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      reject(
        new Error(
          `local Cosmos server exited (${signal ?? code}) before it listened\n${recent.join('\n')}`,
        ),
      ),
    );
  });
  let stopping: Promise<void> | undefined;
  const shutdown = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    key: LOCAL_COSMOS_KEY,
    // Its data lives only in its memory, so there is nothing to shut down gracefully.
    stop: () => (stopping ??= shutdown()),
  };
}

/** tsc does not copy .js files: compiled code under dist/ runs the one in src/. */
export function cosmosChildEntry(): string {
  const beside = path.join(__dirname, 'cosmos-server-child.js');
  if (fs.existsSync(beside)) return beside;
  return path.resolve(
    __dirname,
    '..',
    '..',
    '..',
    '..',
    'src',
    'shared',
    'local',
    'cosmos-server-child.js',
  );
}
