import { fork } from 'node:child_process';
import path from 'node:path';

export interface LocalCosmos {
  endpoint: string;
  key: string;
  stop(): Promise<void>;
}

/** The well-known emulator key; the local server accepts any key. */
export const LOCAL_COSMOS_KEY =
  'C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==';

/** An in-memory Cosmos-API server (@vercel/cosmosdb-server) over HTTP on loopback, in a child process. */
export async function startLocalCosmos(options: { port?: number } = {}): Promise<LocalCosmos> {
  const child = fork(path.join(__dirname, 'cosmos-server-child.js'), [String(options.port ?? 0)], {
    execArgv: ['--max-old-space-size=8192'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (message: { port: number }) => resolve(message.port));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`local Cosmos server exited with code ${code}`)));
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    endpoint: `http://127.0.0.1:${port}`,
    key: LOCAL_COSMOS_KEY,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill();
      await exited;
    },
  };
}
