import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/shared/config/config';
import { createSourcePool } from '../../../src/shared/postgres/pool';
import { runPreflight, type PreflightOptions } from '../../../src/shared/preflight/run-preflight';
import { AppError } from '../../../src/shared/errors/app-error';
import { renderReport } from '../../../src/shared/preflight/render';
import { walKeepSizeCheck, walLevelCheck } from '../../../src/shared/preflight/sync-checks';
import type { Check, PreflightReport } from '../../../src/shared/preflight/report';
import {
  listLeftovers,
  PostgresChangeStream,
  replicationNames,
} from '../../../src/shared/sync/replication';
import { createWorld, TestWorld } from '../../support/engine';
import { uniqueName } from '../../support/servers';
import { plantCleanRows, preflightRuntime } from './fixture';

const SYNC_IDS = [
  'sync.walLevel',
  'sync.slots',
  'sync.replicationPrivilege',
  'sync.publicationPrivilege',
  'sync.tables',
  'sync.slot',
  'sync.leftovers',
  'sync.openTransactions',
  'sync.walKeepSize',
];

const byId = (report: PreflightReport): Record<string, Check> =>
  Object.fromEntries(report.checks.map((c) => [c.id, c]));

/** The retained WAL a reason gives for `slot`, in bytes (as formatted: to 0.1 of its unit). */
function retainedIn(reason: string, slot: string): number {
  const match = new RegExp(
    `${slot} \\(database [a-z0-9_]+, (?:in)?active[^)]*?, ([0-9.]+) (B|KiB|MiB|GiB) WAL retained\\)`,
  ).exec(reason);
  if (!match) throw new Error(`no retained WAL for ${slot} in: ${reason}`);
  const unit = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 }[match[2]!]!;
  return Number(match[1]) * unit;
}

describe('continuous sync checks without a server', () => {
  it('fails wal_level other than logical, saying how to set it on Azure and RDS, and the way round', () => {
    expect(walLevelCheck('replica')).toEqual({
      id: 'sync.walLevel',
      title: 'wal_level',
      verdict: 'fail',
      reason:
        'wal_level is replica: continuous sync needs wal_level=logical (Azure Database for PostgreSQL: server parameter wal_level=logical; Amazon RDS: rds.logical_replication=1 in the parameter group), then a server restart; migrate sets up continuous sync by default and stops without it, migrate --no-sync makes a one-shot copy',
    });
  });

  it('says what a max_slot_wal_keep_size limit means: a stalled slot is invalidated, reported as lost', () => {
    const limited = walKeepSizeCheck('10GB');
    expect(limited.verdict).toBe('pass');
    expect(limited.reason).toMatch(
      /^10GB: a slot retaining more WAL than this is invalidated, and the sync then stops with SYNC_SLOT_LOST /,
    );
    expect(walKeepSizeCheck(null).reason).toMatch(/^not before PostgreSQL 13: /);
  });
});

describe('continuous sync checks (real PostgreSQL, wal_level=logical)', () => {
  let world: TestWorld;
  /** What the world's sync is named by default: after the target database. */
  let syncName: string;
  /** The source database (world.database is the Cosmos one). */
  let pgDatabase: string;

  beforeAll(async () => {
    world = await createWorld('pf_sync');
    await plantCleanRows(world.source);
    syncName = parseConfig(world.settings).sync.name;
    pgDatabase = decodeURIComponent(new URL(world.sourceUrl).pathname.slice(1));
  });
  afterAll(() => world?.close());

  const preflight = async (
    options: PreflightOptions = {},
    settings: Record<string, string> = world.settings,
  ): Promise<PreflightReport> => {
    const runtime = preflightRuntime(settings, world.cosmos);
    try {
      return await runPreflight(runtime.deps, { sampleRows: 20, ...options });
    } finally {
      await runtime.close();
    }
  };

  it('passes every sync check on a clean database, and lists them as their own group', async () => {
    const report = await preflight();
    const checks = byId(report);
    expect(report.checks.filter((c) => c.id.startsWith('sync.')).map((c) => c.id)).toEqual(
      SYNC_IDS,
    );
    expect(report.notRun).toEqual([]);
    expect(checks['sync.walLevel']).toMatchObject({
      verdict: 'pass',
      reason: 'logical: continuous sync can decode changes',
    });
    expect(checks['sync.slots']!.verdict).toBe('pass');
    expect(checks['sync.slots']!.reason).toMatch(
      new RegExp(
        `^\\d+ of 64 \\(max_replication_slots\\) in use, \\d+ free for cosmos_migration_slot_${syncName} `,
      ),
    );
    expect(checks['sync.replicationPrivilege']).toMatchObject({
      verdict: 'pass',
      reason: expect.stringMatching(/^role \w+ is a superuser$/),
    });
    expect(checks['sync.publicationPrivilege']!.verdict).toBe('pass');
    expect(checks['sync.tables']!.verdict).toBe('pass');
    expect(checks['sync.slot']).toMatchObject({
      verdict: 'pass',
      reason: `not set up yet: migrate creates publication cosmos_migration_pub_${syncName}, then slot cosmos_migration_slot_${syncName}`,
    });
    expect(checks['sync.openTransactions']!.verdict).toBe('pass');
    expect(checks['sync.walKeepSize']).toMatchObject({
      verdict: 'pass',
      reason: expect.stringMatching(/^unlimited \(-1\): a slot whose sync stalls keeps WAL/),
    });
    // Slots are per server: other test files' syncs may be there, but none of this database.
    const leftovers = checks['sync.leftovers']!;
    if (leftovers.verdict === 'pass') expect(leftovers.reason).toMatch(/^none: /);
    else expect(leftovers.reason).not.toContain(`database ${pgDatabase}`);
    expect(
      report.checks
        .filter((c) => c.id.startsWith('sync.') && c.id !== 'sync.leftovers')
        .every((c) => c.verdict === 'pass'),
    ).toBe(true);
    expect(report.ok).toBe(true);
    expect(renderReport(report)).toMatch(
      /\n\ncontinuous sync\n {2}✔ wal_level +logical: continuous sync can decode changes\n/,
    );
  });

  it("finds another sync's slot and publication with their retained WAL, and passes this sync's own", async () => {
    const pool = createSourcePool(world.sourceUrl, { max: 2 });
    const other = new PostgresChangeStream(pool, replicationNames(uniqueName('pf_other')));
    const own = new PostgresChangeStream(pool, replicationNames(syncName));
    try {
      await other.setUp();
      await own.setUp();
      // WAL written after the slots' start is what they retain; flushed at commit (the test
      // server runs with synchronous_commit=off), so the current WAL position is past it.
      await world.source.query(
        `BEGIN; SET LOCAL synchronous_commit = on;
         CREATE TABLE pf_wal AS SELECT g AS n, repeat('x', 200) AS pad FROM generate_series(1, 2000) g;
         COMMIT`,
      );
      const [listed] = (await listLeftovers(pool)).slots.filter((s) => s.slot === other.names.slot);
      expect(listed!.retainedWalBytes).toBeGreaterThan(100_000);

      const report = await preflight();
      const checks = byId(report);
      const leftovers = checks['sync.leftovers']!;
      expect(leftovers.verdict).toBe('warn');
      expect(leftovers.reason).toContain(
        `slot ${other.names.slot} (database ${pgDatabase}, inactive, `,
      );
      expect(leftovers.reason).toContain(
        `WAL retained) and publication ${other.names.publication}`,
      );
      // Retained WAL only grows while nothing consumes the slot.
      expect(retainedIn(leftovers.reason, other.names.slot)).toBeGreaterThanOrEqual(
        listed!.retainedWalBytes! * 0.95,
      );
      expect(leftovers.reason).toMatch(
        /drop a sync you no longer need with cosmos-migration sync stop run with its own settings \(SYNC_NAME=\w+/,
      );
      expect(leftovers.reason).toMatch(
        /SELECT pg_drop_replication_slot\('cosmos_migration_slot_\w+'\)/,
      );
      // This sync's own is expected: not a leftover, a pass with its retained WAL.
      expect(leftovers.reason).not.toContain(own.names.slot);
      expect(checks['sync.slot']!.verdict).toBe('pass');
      expect(checks['sync.slot']!.reason).toMatch(
        new RegExp(
          `^set up: ${own.names.slot} \\(database ${pgDatabase}, inactive, [0-9.]+ (KiB|MiB) WAL retained\\), publication ${own.names.publication}; `,
        ),
      );
      expect(retainedIn(checks['sync.slot']!.reason, own.names.slot)).toBeGreaterThan(100_000);
      expect(checks['sync.slots']!.reason).toMatch(
        new RegExp(
          `^\\d+ of 64 \\(max_replication_slots\\) in use, one of them this sync's ${own.names.slot}: none needed$`,
        ),
      );
      expect(checks['sync.publicationPrivilege']!.reason).toBe(
        `publication ${own.names.publication} exists: set-up reuses it`,
      );
      expect(report.ok).toBe(true);
    } finally {
      await other.tearDown({ waitMs: 1000 });
      await own.tearDown({ waitMs: 1000 });
      await pool.end();
      await world.source.query('DROP TABLE IF EXISTS pf_wal');
    }
    // Gone again: the check is back to this sync not being set up.
    const after = byId(await preflight());
    expect(after['sync.slot']!.reason).toMatch(/^not set up yet: /);
    expect(after['sync.leftovers']!.reason).not.toContain(other.names.slot);
  });

  it('fails a table whose replica identity is NOTHING or USING INDEX, naming the fix', async () => {
    await world.source.query(
      `ALTER TABLE comments REPLICA IDENTITY NOTHING;
       CREATE UNIQUE INDEX votes_id_copy ON votes (id);
       ALTER TABLE votes REPLICA IDENTITY USING INDEX votes_id_copy`,
    );
    try {
      const report = await preflight();
      const tables = byId(report)['sync.tables']!;
      expect(tables.verdict).toBe('fail');
      expect(tables.reason).toContain(
        'comments: replica identity NOTHING: deletes would not carry the id (ALTER TABLE public.comments REPLICA IDENTITY DEFAULT)',
      );
      expect(tables.reason).toContain(
        'votes: replica identity INDEX: deletes would not carry the id (ALTER TABLE public.votes REPLICA IDENTITY DEFAULT)',
      );
      expect(tables.reason).not.toMatch(/users:|posts:/);
      expect(report.ok).toBe(false);
    } finally {
      await world.source.query(
        `ALTER TABLE comments REPLICA IDENTITY DEFAULT;
         ALTER TABLE votes REPLICA IDENTITY DEFAULT;
         DROP INDEX votes_id_copy`,
      );
    }
  });

  it('fails a role without REPLICATION and without ownership of the tables, and passes once granted', async () => {
    const role = uniqueName('pf_role');
    const { rows } = await world.source.query<{ owner: string; db: string }>(
      `SELECT current_user AS owner, current_database() AS db`,
    );
    const { owner, db } = rows[0]!;
    await world.source.query(
      `CREATE ROLE ${role} LOGIN PASSWORD 'pf-secret';
       GRANT SELECT ON users, posts, comments, votes TO ${role}`,
    );
    const url = new URL(world.sourceUrl);
    url.username = role;
    url.password = 'pf-secret';
    const asRole = { ...world.settings, DATABASE_URL: url.toString() };
    try {
      const denied = byId(await preflight({}, asRole));
      expect(denied['sync.replicationPrivilege']).toMatchObject({
        verdict: 'fail',
        reason: `role ${role} may not create replication slots: run ALTER ROLE ${role} WITH REPLICATION (Azure Database for PostgreSQL: as a member of azure_pg_admin; Amazon RDS: GRANT rds_replication TO ${role})`,
      });
      expect(denied['sync.publicationPrivilege']).toMatchObject({
        verdict: 'fail',
        reason: `role ${role} cannot create publication cosmos_migration_pub_${syncName}: it has no CREATE on database ${db} (GRANT CREATE ON DATABASE ${db} TO ${role}); it does not own users (owner ${owner}), posts (owner ${owner}), comments (owner ${owner}), votes (owner ${owner}) (set up the sync as the owner, or GRANT ${owner} TO ${role})`,
      });

      await world.source.query(
        `ALTER ROLE ${role} WITH REPLICATION;
         GRANT CREATE ON DATABASE "${db}" TO ${role};
         ALTER TABLE users OWNER TO ${role}; ALTER TABLE posts OWNER TO ${role};
         ALTER TABLE comments OWNER TO ${role}; ALTER TABLE votes OWNER TO ${role}`,
      );
      const granted = byId(await preflight({}, asRole));
      expect(granted['sync.replicationPrivilege']).toMatchObject({
        verdict: 'pass',
        reason: `role ${role} has the REPLICATION attribute`,
      });
      expect(granted['sync.publicationPrivilege']).toMatchObject({
        verdict: 'pass',
        reason: `role ${role} owns users, posts, comments, votes and has CREATE on database ${db}`,
      });
    } finally {
      await world.source.query(
        `ALTER TABLE users OWNER TO ${owner}; ALTER TABLE posts OWNER TO ${owner};
         ALTER TABLE comments OWNER TO ${owner}; ALTER TABLE votes OWNER TO ${owner};
         DROP OWNED BY ${role}; DROP ROLE ${role}`,
      );
    }
  });

  it('reports a transaction holding an xid with its pid and age, and a bare snapshot as not blocking', async () => {
    const writer = new pg.Client({ connectionString: world.sourceUrl });
    const reader = new pg.Client({ connectionString: world.sourceUrl });
    await Promise.all([writer.connect(), reader.connect()]);
    try {
      // Held only for about two seconds: creating a slot anywhere on the server waits for it.
      await writer.query('BEGIN');
      const { rows: w } = await writer.query<{ pid: number }>(
        'SELECT pg_backend_pid() AS pid, txid_current()',
      );
      await reader.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
      const { rows: r } = await reader.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      await new Promise((resolve) => setTimeout(resolve, 1200));
      const report = await preflight({ longTransactionSeconds: 1 });
      const open = byId(report)['sync.openTransactions']!;
      expect(open.verdict).toBe('warn');
      expect(open.reason).toMatch(
        new RegExp(
          `pid ${w[0]!.pid} \\(database ${pgDatabase}, user \\w+, idle in transaction, \\d+\\.\\d s\\)`,
        ),
      );
      expect(open.reason).toContain(
        `: creating slot cosmos_migration_slot_${syncName} waits until every transaction already running has ended`,
      );
      expect(open.reason).toContain(`SELECT pg_terminate_backend(`);
      // The snapshot without an xid is named in the note, not in the blocking list.
      const blocking = open.reason.slice(0, open.reason.indexOf(': creating slot'));
      expect(blocking).toContain(`pid ${w[0]!.pid} `);
      expect(blocking).not.toContain(`pid ${r[0]!.pid} `);
      expect(open.reason.slice(blocking.length)).toMatch(
        new RegExp(`snapshots? open over 1 s without a transaction id \\([^)]*pid ${r[0]!.pid}\\b`),
      );
    } finally {
      await Promise.all([writer.query('ROLLBACK'), reader.query('ROLLBACK')]);
      await Promise.all([writer.end(), reader.end()]);
    }
    // Once they ended, nothing of this database is reported.
    const after = byId(await preflight({ longTransactionSeconds: 1 }))['sync.openTransactions']!;
    expect(after.reason).not.toContain(`database ${pgDatabase}`);
  });

  it('says a question it could not ask is not run, and still gives the other checks', async () => {
    const runtime = preflightRuntime(world.settings, world.cosmos);
    try {
      const source = runtime.deps.source;
      const denied = Object.assign(Object.create(Object.getPrototypeOf(source)), source, {
        leftovers: () =>
          Promise.reject(new AppError('SOURCE_QUERY_FAILED', 'permission denied for view x\nmore')),
      });
      const report = await runPreflight({ ...runtime.deps, source: denied }, { sampleRows: 20 });
      expect(report.notRun).toEqual([
        "sync: this sync's and other syncs' slots and publications: permission denied for view x",
      ]);
      expect(report.checks.filter((c) => c.id.startsWith('sync.')).map((c) => c.id)).toEqual(
        SYNC_IDS.filter((id) => !['sync.slots', 'sync.slot', 'sync.leftovers'].includes(id)),
      );
    } finally {
      await runtime.close();
    }
  });

  it('lists the sync checks as not run when a one-shot copy is asked for', async () => {
    const report = await preflight({ sync: false });
    expect(report.checks.filter((c) => c.id.startsWith('sync.'))).toEqual([]);
    expect(report.notRun).toEqual([
      'continuous sync checks: not asked for (a one-shot copy, migrate --no-sync)',
    ]);
  });
});
