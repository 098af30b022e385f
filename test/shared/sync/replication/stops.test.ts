import { afterAll, describe, expect, it } from 'vitest';
import {
  insertFamily,
  newIds,
  rejection,
  scalar,
  syncDatabase,
  type SyncDatabase,
} from './fixture';

/** Each of these alters or breaks the database, so each test has one of its own. */
describe('what stops the sync', () => {
  const databases: SyncDatabase[] = [];
  const fresh = async (prefix: string) => {
    const db = await syncDatabase(prefix);
    databases.push(db);
    return db;
  };
  afterAll(async () => {
    for (const db of databases) await db.close();
  });

  it('stops on a TRUNCATE of a synced table, naming it and what to do', async () => {
    const db = await fresh('sync_truncate');
    const stream = db.stream();
    await stream.setUp();
    await insertFamily(db.app, newIds());
    await db.app.query('TRUNCATE votes');

    const error = await rejection(stream.read({ maxChanges: 1000 }));
    expect(error.code).toBe('SYNC_TRUNCATE');
    expect(error.message).toMatch(
      /^TRUNCATE of votes \(transaction committed at [0-9A-F]+\/[0-9A-F]+\)/,
    );
    expect(error.message).toContain('cosmos-migration migrate --entities votes');
    expect(error.message).toContain('validate --full');
    // Nothing moved: the next read stops again instead of skipping it.
    expect((await rejection(stream.read({ maxChanges: 1000 }))).code).toBe('SYNC_TRUNCATE');
  });

  it('names every synced table a cascading TRUNCATE removed', async () => {
    const db = await fresh('sync_truncate_cascade');
    const stream = db.stream();
    await stream.setUp();
    await db.app.query('TRUNCATE users CASCADE');
    const error = await rejection(stream.read({ maxChanges: 1000 }));
    expect(error.code).toBe('SYNC_TRUNCATE');
    expect(error.message).toMatch(
      /^TRUNCATE of (users|posts|comments|votes)(, (users|posts|comments|votes)){3} /,
    );
  });

  it('stops on a changed table description: an added column, then a write', async () => {
    const db = await fresh('sync_schema');
    const stream = db.stream();
    await stream.setUp();
    await insertFamily(db.app, newIds()); // before the change: decodes as usual
    expect((await stream.read({ maxChanges: 1000 })).changes).toHaveLength(4);
    await db.app.query('ALTER TABLE posts ADD COLUMN summary text');
    // The ALTER alone is not in the stream; the table's next change carries its new description.
    expect((await stream.read({ maxChanges: 1000 })).changes).toHaveLength(4);
    await insertFamily(db.app, newIds());

    const error = await rejection(stream.read({ maxChanges: 1000 }));
    expect(error.code).toBe('SYNC_SCHEMA_CHANGED');
    expect(error.message).toMatch(
      /^the schema of posts changed \(columns not in the data model: summary\)/,
    );
    expect(error.message).toContain('cosmos-migration migrate --entities posts');
  });

  it('stops on a dropped column too', async () => {
    const db = await fresh('sync_schema_drop');
    const stream = db.stream();
    await stream.setUp();
    await db.app.query('ALTER TABLE votes DROP COLUMN vote_type');
    await db.app.query(
      `INSERT INTO votes (id, target_id, target_type) VALUES (gen_random_uuid(), gen_random_uuid(), 'post')`,
    );
    const error = await rejection(stream.read({ maxChanges: 1000 }));
    expect(error.code).toBe('SYNC_SCHEMA_CHANGED');
    expect(error.message).toContain('the schema of votes changed (missing columns: vote_type)');
  });

  it('raises SYNC_SLOT_LOST on read, advance and status once the slot is dropped', async () => {
    const db = await fresh('sync_slot_dropped');
    const stream = db.stream();
    const { startLsn } = await stream.setUp();
    await insertFamily(db.app, newIds());
    await db.source.query('SELECT pg_drop_replication_slot($1)', [stream.names.slot]);

    for (const attempt of [
      () => stream.read({ maxChanges: 100 }),
      () => stream.advance(startLsn),
      () => stream.status(),
    ]) {
      const error = await rejection(attempt());
      expect(error.code).toBe('SYNC_SLOT_LOST');
      expect(error.message).toContain(`replication slot ${stream.names.slot} no longer exists`);
      expect(error.message).toContain('changes made since the last round may have been lost');
      expect(error.message).toContain('cosmos-migration validate --full');
      expect(error.message).toContain('cosmos-migration repair <validationId>');
    }
  });

  it('raises SYNC_SLOT_LOST when the server invalidated the slot (wal_status lost)', async () => {
    const db = await fresh('sync_slot_invalidated');
    const stream = db.stream();
    await stream.setUp();
    // A cap on the WAL slots may keep, then more WAL than that and a checkpoint: the server
    // removes the WAL and invalidates the slot, as a sync left behind on a busy source would be.
    // The setting is server-wide, so it is put back at once.
    await db.source.query(`ALTER SYSTEM SET max_slot_wal_keep_size = '1MB'`);
    try {
      await db.source.query('SELECT pg_reload_conf()');
      for (let i = 0; i < 3; i++) {
        await db.app.query(`INSERT INTO users (id, username, email, password_hash)
          VALUES (gen_random_uuid(), gen_random_uuid()::text, gen_random_uuid()::text, 'h')`);
        await db.source.query('SELECT pg_switch_wal()');
      }
      await db.source.query('CHECKPOINT');
    } finally {
      await db.source.query('ALTER SYSTEM RESET max_slot_wal_keep_size');
      await db.source.query('SELECT pg_reload_conf()');
    }
    expect(
      await scalar(db.source, 'SELECT wal_status FROM pg_replication_slots WHERE slot_name = $1', [
        stream.names.slot,
      ]),
    ).toBe('lost');

    for (const attempt of [
      () => stream.status(),
      () => stream.read({ maxChanges: 10 }),
      () => stream.advance('0/1'),
    ]) {
      const error = await rejection(attempt());
      expect(error.code).toBe('SYNC_SLOT_LOST');
      expect(error.message).toMatch(/was invalidated by the server \(wal_removed/);
      expect(error.message).toContain('validate --full');
    }
    // A lost slot still takes a slot on the server until it is dropped.
    expect(await stream.tearDown()).toMatchObject({ droppedSlot: true, droppedPublication: true });
  });

  it('stops when the publication was dropped under it', async () => {
    const db = await fresh('sync_publication_dropped');
    const stream = db.stream();
    await stream.setUp();
    await db.source.query(`DROP PUBLICATION ${stream.names.publication}`);
    await insertFamily(db.app, newIds());
    const error = await rejection(stream.read({ maxChanges: 100 }));
    expect(error.code).toBe('SYNC_PUBLICATION_MISSING');
    expect(error.message).toContain(`publication ${stream.names.publication} no longer exists`);
  });
});
