import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSourcePool } from '../../../../src/shared/postgres/pool';
import { initSource } from '../../../../src/shared/source/schema';
import { listLeftovers } from '../../../../src/shared/sync/replication/leftovers';
import { compareLsn } from '../../../../src/shared/sync/replication/lsn';
import { replicationNames } from '../../../../src/shared/sync/replication/names';
import { PostgresChangeStream } from '../../../../src/shared/sync/replication/postgres-change-stream';
import { freshDatabase, uniqueName } from '../../../support/servers';
import {
  insertFamily,
  newIds,
  rejection,
  scalar,
  summary,
  syncDatabase,
  type SyncDatabase,
} from './fixture';

const count = async (db: pg.Pool, sql: string, values: unknown[]) =>
  Number(await scalar(db, `SELECT count(*) FROM (${sql}) AS found`, values));
const slots = (db: pg.Pool, slot: string) =>
  count(db, 'SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [slot]);
const publications = (db: pg.Pool, publication: string) =>
  count(db, 'SELECT 1 FROM pg_publication WHERE pubname = $1', [publication]);

describe('setting up and tearing down', () => {
  let db: SyncDatabase;

  beforeAll(async () => {
    db = await syncDatabase('sync_setup');
  });
  afterAll(() => db?.close());

  it('creates the publication for the four tables, then the slot, and hands off at startLsn', async () => {
    const stream = db.stream();
    const early = newIds();
    await insertFamily(db.app, early);
    const setUp = await stream.setUp();
    const late = newIds();
    await insertFamily(db.app, late);

    expect(setUp).toEqual({
      slot: stream.names.slot,
      publication: stream.names.publication,
      startLsn: expect.stringMatching(/^[0-9A-F]{1,8}\/[0-9A-F]{1,8}$/),
    });
    expect(setUp.slot).toMatch(/^cosmos_migration_slot_/);
    expect(setUp.publication).toMatch(/^cosmos_migration_pub_/);
    const { rows: slot } = await db.source.query(
      `SELECT plugin, slot_type, database, confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1`,
      [setUp.slot],
    );
    expect(slot).toEqual([
      {
        plugin: 'pgoutput',
        slot_type: 'logical',
        database: expect.any(String),
        lsn: setUp.startLsn,
      },
    ]);
    const { rows: tables } = await db.source.query(
      `SELECT tablename FROM pg_publication_tables WHERE pubname = $1 ORDER BY tablename`,
      [setUp.publication],
    );
    expect(tables.map((t) => t.tablename)).toEqual(['comments', 'posts', 'users', 'votes']);
    // What was committed before the start is the full load's; what came after is in the slot.
    const { changes } = await stream.read({ maxChanges: 100 });
    expect(changes.map(summary)).toEqual([
      `insert users ${late.user}`,
      `insert posts ${late.post}`,
      `insert comments ${late.comment}`,
      `insert votes ${late.vote}`,
    ]);
    expect(compareLsn(changes[0]!.commitEndLsn, setUp.startLsn)).toBeGreaterThan(0);
  });

  it('refuses a second set-up of the same sync, and finishes one that stopped after the publication', async () => {
    const stream = db.stream();
    await stream.setUp();
    const again = await rejection(stream.setUp());
    expect(again.code).toBe('SYNC_SLOT_EXISTS');
    expect(again.message).toContain(`replication slot ${stream.names.slot} already exists`);

    await db.source.query('SELECT pg_drop_replication_slot($1)', [stream.names.slot]);
    const resumed = await stream.setUp(); // the publication is there and right: accepted
    expect(resumed.slot).toBe(stream.names.slot);
    expect(await publications(db.source, stream.names.publication)).toBe(1);
  });

  it('refuses a publication of that name that does not cover exactly the four tables, creating nothing', async () => {
    const stream = db.stream();
    await db.source.query(`CREATE PUBLICATION ${stream.names.publication} FOR TABLE users, posts`);
    const error = await rejection(stream.setUp());
    expect(error.code).toBe('SYNC_PUBLICATION_MISMATCH');
    expect(error.message).toContain('it covers other tables than');
    expect(await slots(db.source, stream.names.slot)).toBe(0);

    await db.source.query(`DROP PUBLICATION ${stream.names.publication}`);
    await db.source.query(
      `CREATE PUBLICATION ${stream.names.publication} FOR TABLE users, posts, comments, votes WITH (publish = 'insert, update, delete')`,
    );
    expect((await rejection(stream.setUp())).message).toContain(
      'it does not publish all of insert, update, delete and truncate',
    );
  });

  it('gives up creating the slot after the timeout while a long transaction runs, leaving nothing', async () => {
    const stream = db.stream();
    const blocker = await db.app.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query(`INSERT INTO users (id, username, email, password_hash)
        VALUES (gen_random_uuid(), 'blocker', 'blocker@x', 'h')`); // holds a transaction id
      const started = Date.now();
      const error = await rejection(stream.setUp({ timeoutMs: 1500 }));
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(error.code).toBe('SYNC_SETUP_TIMEOUT');
      expect(error.message).toMatch(/waited 2 s for transactions that were already running to end/);
      expect(error.message).toContain('pg_stat_activity');
    } finally {
      await blocker.query('ROLLBACK');
      blocker.release();
    }
    expect(await slots(db.source, stream.names.slot)).toBe(0);
    expect(await publications(db.source, stream.names.publication)).toBe(0);
  });

  it('tears down to no slot and no publication, and again without complaint', async () => {
    const stream = db.stream();
    await stream.setUp();
    expect(await stream.tearDown()).toEqual({
      droppedSlot: true,
      droppedPublication: true,
      terminatedPid: null,
    });
    expect(await slots(db.source, stream.names.slot)).toBe(0);
    expect(await publications(db.source, stream.names.publication)).toBe(0);
    expect(await stream.tearDown()).toEqual({
      droppedSlot: false,
      droppedPublication: false,
      terminatedPid: null,
    });
  });

  it('ends a session still holding the slot after the wait, then drops it', async () => {
    const stream = db.stream();
    await stream.setUp();
    // A streaming reader holds the slot for as long as it is connected: a stuck reader.
    const holder = new pg.Client({
      connectionString: db.url,
      replication: 'database',
    } as pg.ClientConfig);
    holder.on('error', () => undefined);
    await holder.connect();
    void holder
      .query(
        `START_REPLICATION SLOT ${stream.names.slot} LOGICAL 0/0 (proto_version '1', publication_names '${stream.names.publication}')`,
      )
      .catch(() => undefined);
    let pid: number | null = null;
    for (let i = 0; i < 50 && pid === null; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      pid = await scalar(
        db.source,
        'SELECT active_pid FROM pg_replication_slots WHERE slot_name = $1',
        [stream.names.slot],
      );
    }
    expect(pid).toEqual(expect.any(Number));
    // While it holds the slot, a round's read and advance say so; status still answers.
    const busy = await rejection(stream.read({ maxChanges: 10 }));
    expect(busy.code).toBe('SYNC_SLOT_BUSY');
    expect(busy.message).toContain(`(pid ${pid})`);
    expect((await rejection(stream.advance('FF/0'))).code).toBe('SYNC_SLOT_BUSY');
    expect(await stream.status()).toMatchObject({ active: true, activePid: pid, lagSeconds: null });

    expect(await stream.tearDown({ waitMs: 500 })).toEqual({
      droppedSlot: true,
      droppedPublication: true,
      terminatedPid: pid,
    });
    expect(await slots(db.source, stream.names.slot)).toBe(0);
    await holder.end().catch(() => undefined);
  });

  it("lists this tool's leftover slots and publications, and no one else's", async () => {
    const stream = db.stream();
    await stream.setUp();
    const otherSlot = uniqueName('someone_elses_slot');
    const otherPublication = uniqueName('someone_elses_pub');
    await db.source.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [otherSlot]);
    await db.source.query(`CREATE PUBLICATION ${otherPublication} FOR TABLE users`);
    try {
      const leftovers = await listLeftovers(db.source);
      expect(leftovers.slots).toContainEqual({
        slot: stream.names.slot,
        database: expect.any(String),
        active: false,
        activePid: null,
        walStatus: 'reserved',
        retainedWalBytes: expect.any(Number),
      });
      expect(leftovers.publications).toContainEqual({
        publication: stream.names.publication,
        tables: ['public.comments', 'public.posts', 'public.users', 'public.votes'],
      });
      expect(leftovers.slots.every((s) => s.slot.startsWith('cosmos_migration_slot_'))).toBe(true);
      expect(leftovers.slots.map((s) => s.slot)).not.toContain(otherSlot);
      expect(leftovers.publications.map((p) => p.publication)).not.toContain(otherPublication);

      await stream.tearDown();
      const after = await listLeftovers(db.source);
      expect(after.slots.map((s) => s.slot)).not.toContain(stream.names.slot);
      expect(after.publications.map((p) => p.publication)).not.toContain(stream.names.publication);
    } finally {
      await db.source.query('SELECT pg_drop_replication_slot($1)', [otherSlot]);
      await db.source.query(`DROP PUBLICATION ${otherPublication}`);
    }
  });

  it('refuses tables that differ from the data model before creating anything', async () => {
    const other = await syncDatabase('sync_setup_schema');
    try {
      await other.app.query('ALTER TABLE comments ADD COLUMN score int');
      await other.app.query('ALTER TABLE users REPLICA IDENTITY NOTHING');
      const stream = other.stream();
      const error = await rejection(stream.setUp());
      expect(error.code).toBe('SYNC_SCHEMA_MISMATCH');
      expect(error.message).toContain('comments: columns not in the data model: score');
      expect(error.message).toContain('users: replica identity NOTHING');
      expect(await slots(other.source, stream.names.slot)).toBe(0);
      expect(await publications(other.source, stream.names.publication)).toBe(0);
    } finally {
      await other.close();
    }
  });
});

describe('set-up by a role without the privileges', () => {
  const role = uniqueName('sync_role');
  const password = 'role-password';
  let adminUrl: string;
  let admin: pg.Pool;

  beforeAll(async () => {
    adminUrl = await freshDatabase('sync_privileges');
    admin = new pg.Pool({ connectionString: adminUrl, max: 2 });
    await initSource(admin);
    await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
  });
  afterAll(async () => {
    await admin.query(`REASSIGN OWNED BY ${role} TO CURRENT_USER`);
    await admin.query(`DROP OWNED BY ${role}`);
    await admin.query(`DROP ROLE ${role}`);
    await admin.end();
  });

  const asRole = () => {
    const url = new URL(adminUrl);
    url.username = role;
    url.password = password;
    return createSourcePool(url.toString(), { max: 2 });
  };

  it('says the tables must be owned by it to publish them', async () => {
    const pool = asRole();
    try {
      const stream = new PostgresChangeStream(pool, replicationNames(uniqueName('priv')));
      const error = await rejection(stream.setUp());
      expect(error.code).toBe('SYNC_PUBLICATION_PRIVILEGE');
      expect(error.message).toMatch(
        new RegExp(`^role ${role} cannot create publication ${stream.names.publication} \\(`),
      );
      expect(error.message).toContain('needs CREATE on database');
    } finally {
      await pool.end();
    }
  });

  it('says how to grant REPLICATION when it owns the tables but may not create slots, and leaves no publication', async () => {
    await admin.query(`GRANT CREATE ON DATABASE ${new URL(adminUrl).pathname.slice(1)} TO ${role}`);
    for (const table of ['users', 'posts', 'comments', 'votes']) {
      await admin.query(`ALTER TABLE ${table} OWNER TO ${role}`);
    }
    const pool = asRole();
    try {
      const stream = new PostgresChangeStream(pool, replicationNames(uniqueName('priv')));
      const error = await rejection(stream.setUp());
      expect(error.code).toBe('SYNC_REPLICATION_PRIVILEGE');
      expect(error.message).toBe(
        `role ${role} may not create replication slots: run ALTER ROLE ${role} WITH REPLICATION (Azure Database for PostgreSQL: as a member of azure_pg_admin; Amazon RDS: GRANT rds_replication TO ${role})`,
      );
      expect(await publications(admin, stream.names.publication)).toBe(0);
      expect(await slots(admin, stream.names.slot)).toBe(0);
    } finally {
      await pool.end();
    }
  });
});
