import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Change, InsertChange } from '../../../../src/shared/sync/replication/change-stream';
import { compareLsn } from '../../../../src/shared/sync/replication/lsn';
import { PostgresChangeStream } from '../../../../src/shared/sync/replication/postgres-change-stream';
import { insertFamily, newIds, summary, syncDatabase, type SyncDatabase } from './fixture';

describe('reading changes from the slot', () => {
  let db: SyncDatabase;

  beforeAll(async () => {
    db = await syncDatabase('sync_read');
  });
  afterAll(() => db?.close());

  it('decodes inserts, updates and deletes of all four tables, with their keys and values', async () => {
    const stream = db.stream();
    const before = newIds();
    await insertFamily(db.app, before); // committed before the slot: the full load's, not the slot's
    const { startLsn } = await stream.setUp();
    const ids = newIds();
    await insertFamily(db.app, ids);
    await db.app.query(`UPDATE users SET username = 'renamed' WHERE id = $1`, [ids.user]);
    await db.app.query(`UPDATE posts SET title = 'new title' WHERE id = $1`, [ids.post]);
    await db.app.query(`UPDATE comments SET depth = 3 WHERE id = $1`, [ids.comment]);
    await db.app.query(`UPDATE votes SET vote_type = 'down' WHERE id = $1`, [ids.vote]);
    await db.app.query(`DELETE FROM votes WHERE id = $1`, [ids.vote]);
    await db.app.query(`DELETE FROM comments WHERE id = $1`, [ids.comment]);
    await db.app.query(`DELETE FROM posts WHERE id = $1`, [ids.post]);
    await db.app.query(`DELETE FROM users WHERE id = $1`, [ids.user]);

    const batch = await stream.read({ maxChanges: 1000 });

    expect(batch.changes.map(summary)).toEqual([
      `insert users ${ids.user}`,
      `insert posts ${ids.post}`,
      `insert comments ${ids.comment}`,
      `insert votes ${ids.vote}`,
      `update users ${ids.user}`,
      `update posts ${ids.post}`,
      `update comments ${ids.comment}`,
      `update votes ${ids.vote}`,
      `delete votes ${ids.vote}`,
      `delete comments ${ids.comment}`,
      `delete posts ${ids.post}`,
      `delete users ${ids.user}`,
    ]);
    expect(batch).toMatchObject({ more: false, transactions: 12 });
    const [user, post, comment, vote] = batch.changes;
    // Values in the source pool's shapes: timestamps as PostgreSQL's UTC text (microseconds kept),
    // JSON parsed, arrays as arrays, numbers and booleans as such.
    expect(user).toMatchObject({
      op: 'insert',
      new: {
        id: ids.user,
        username: `user_${ids.user}`,
        email: `${ids.user}@example.com`,
        password_hash: 'hash',
        created_at: '2025-09-22 10:00:00.123456+00',
      },
    });
    expect(Object.keys((user as InsertChange).new).sort()).toEqual([
      'created_at',
      'email',
      'id',
      'password_hash',
      'username',
    ]);
    expect(post).toMatchObject({
      new: {
        author_id: ids.user,
        sentiment_colors: ['red', 'blue'],
        sentiment_analysis: { score: 0.5 },
        comment_count: 0,
        popularity_score: 1,
        is_blocked: false,
        sentiment_score: null,
      },
    });
    expect(comment).toMatchObject({
      new: { post_id: ids.post, user_id: ids.user, parent_id: null, depth: 0 },
    });
    expect(vote).toMatchObject({
      new: { user_id: ids.user, target_id: ids.post, target_type: 'post' },
    });
    // An update that keeps the id carries no old row (default replica identity); a delete carries the id only.
    const update = batch.changes[4]!;
    expect(update).toMatchObject({ op: 'update', new: { username: 'renamed' } });
    expect(update).not.toHaveProperty('old');
    expect(update).not.toHaveProperty('oldKey');
    expect(batch.changes[8]).toEqual(
      expect.objectContaining({ op: 'delete', old: { id: ids.vote } }),
    );
    // Positions: after the slot's start, increasing, each change before its commit's end.
    let previous = startLsn;
    for (const change of batch.changes) {
      expect(compareLsn(change.commitEndLsn, previous)).toBeGreaterThan(0);
      expect(compareLsn(change.lsn, change.commitEndLsn)).toBeLessThan(0);
      expect(compareLsn(change.commitLsn, change.commitEndLsn)).toBeLessThan(0);
      expect(change.commitEndLsn).toMatch(/^[0-9A-F]{1,8}\/[0-9A-F]{1,8}$/);
      expect(Number.isInteger(change.xid)).toBe(true);
      expect(Date.now() - Date.parse(change.commitTime)).toBeLessThan(60_000);
      previous = change.commitEndLsn;
    }
    expect(compareLsn(batch.endLsn, previous)).toBeGreaterThanOrEqual(0);
    expect(batch.changes.some((c) => c.key.id === before.user)).toBe(false);
  });

  it('carries the old key when an update changes the id, and leaves out unchanged large values', async () => {
    const stream = db.stream();
    await stream.setUp();
    const ids = newIds();
    await insertFamily(db.app, ids);
    // Random text does not compress, so PostgreSQL stores it out of line (TOAST).
    const large = randomBytes(12_000).toString('base64');
    await db.app.query(`UPDATE posts SET content = $2 WHERE id = $1`, [ids.post, large]);
    await db.app.query(`UPDATE posts SET title = 'only the title' WHERE id = $1`, [ids.post]);
    const movedTo = randomUUID();
    await db.app.query(`UPDATE votes SET id = $2 WHERE id = $1`, [ids.vote, movedTo]);

    const { changes } = await stream.read({ maxChanges: 1000 });
    const updates = changes.filter((c) => c.op === 'update');
    expect(updates.map(summary)).toEqual([
      `update posts ${ids.post}`,
      `update posts ${ids.post}`,
      `update votes ${movedTo}`,
    ]);
    expect(updates[0]!.new.content).toBe(large);
    expect(updates[1]!.new).not.toHaveProperty('content');
    expect(updates[1]!.new.title).toBe('only the title');
    expect(updates[2]).toMatchObject({ oldKey: { id: ids.vote }, old: { id: ids.vote } });
  });

  it('returns a long transaction over many tables whole, as one transaction', async () => {
    const stream = db.stream();
    await stream.setUp();
    const families = Array.from({ length: 25 }, newIds);
    const client = await db.app.connect();
    try {
      await client.query('BEGIN');
      for (const ids of families) await insertFamily(client, ids);
      await client.query(`UPDATE posts SET title = 'bulk' WHERE id = ANY($1::uuid[])`, [
        families.map((f) => f.post),
      ]);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    } finally {
      client.release();
    }

    const batch = await stream.read({ maxChanges: 10 }); // smaller than the transaction
    expect(batch.changes).toHaveLength(125);
    expect(batch.transactions).toBe(1);
    expect(new Set(batch.changes.map((c) => c.xid)).size).toBe(1);
    expect(new Set(batch.changes.map((c) => c.commitEndLsn))).toEqual(new Set([batch.endLsn]));
    expect(batch.changes.slice(0, 4).map(summary)).toEqual([
      `insert users ${families[0]!.user}`,
      `insert posts ${families[0]!.post}`,
      `insert comments ${families[0]!.comment}`,
      `insert votes ${families[0]!.vote}`,
    ]);
    expect(batch.changes.slice(100).every((c) => c.op === 'update' && c.table === 'posts')).toBe(
      true,
    );
  });

  it('cuts at whole transactions at maxChanges, and continues exactly after advance', async () => {
    const stream = db.stream();
    await stream.setUp();
    const inserted: string[] = [];
    for (let t = 0; t < 30; t++) {
      const ids = [randomUUID(), randomUUID(), randomUUID()];
      inserted.push(...ids);
      await db.app.query(
        `INSERT INTO users (id, username, email, password_hash)
         SELECT id, id::text, id::text || '@x', 'h' FROM unnest($1::uuid[]) WITH ORDINALITY AS u(id, n) ORDER BY n`,
        [ids],
      );
    }

    const seen: Change[] = [];
    const rounds: number[] = [];
    for (;;) {
      const batch = await stream.read({ maxChanges: 10 });
      seen.push(...batch.changes);
      rounds.push(batch.transactions);
      // Whole transactions only: every transaction read has all three of its rows.
      const perXid = new Map<number, number>();
      for (const c of batch.changes) perXid.set(c.xid, (perXid.get(c.xid) ?? 0) + 1);
      expect([...perXid.values()].every((n) => n === 3)).toBe(true);
      if (batch.more) expect(batch.endLsn).toBe(batch.changes.at(-1)!.commitEndLsn);
      await stream.advance(batch.endLsn);
      if (!batch.more) break;
    }
    expect(rounds.length).toBeGreaterThan(5);
    expect(seen.map((c) => c.key.id)).toEqual(inserted); // nothing lost, nothing twice, in order
    expect((await stream.read({ maxChanges: 10 })).changes).toEqual([]);
  });

  it('returns the same changes again when the round did not advance (a crash replays)', async () => {
    const stream = db.stream();
    await stream.setUp();
    await insertFamily(db.app, newIds());
    await insertFamily(db.app, newIds());
    const first = await stream.read({ maxChanges: 100 });
    const second = await stream.read({ maxChanges: 100 });
    expect(first.changes).toHaveLength(8);
    expect(second.changes).toEqual(first.changes);
    // Advancing twice to the same place (a replayed round) is a no-op, not an error.
    expect(await stream.advance(first.endLsn)).toMatchObject({ moved: true });
    expect(await stream.advance(first.endLsn)).toMatchObject({ moved: false });
    const status = await stream.status({ lag: false });
    expect(compareLsn(status.confirmedFlushLsn, first.endLsn)).toBe(0);
    // And advancing behind where the slot is now ("minimum is …") is also done.
    expect(await stream.advance(first.changes[0]!.commitEndLsn)).toMatchObject({
      moved: false,
      confirmedLsn: status.confirmedFlushLsn,
    });
  });

  it('advances an idle slot past WAL of other tables, so the source releases it', async () => {
    const stream = db.stream();
    await stream.setUp();
    await db.app.query(`CREATE TABLE IF NOT EXISTS unrelated (id serial, payload text)`);
    await db.app.query(
      `INSERT INTO unrelated (payload) SELECT repeat(md5(g::text), 30) FROM generate_series(1, 3000) g`,
    );
    const held = await stream.status({ lag: false });
    expect(held.unconsumedBytes).toBeGreaterThan(2_000_000);
    expect(held.retainedWalBytes).toBeGreaterThan(2_000_000);

    const batch = await stream.read({ maxChanges: 100 });
    expect(batch).toMatchObject({ changes: [], more: false, messages: 0 });
    expect(compareLsn(batch.endLsn, held.currentLsn)).toBeGreaterThanOrEqual(0);
    await stream.advance(batch.endLsn);
    // restart_lsn follows on the server's next snapshot of running transactions (every
    // 15 s, or now); the next round's advance then moves it. The snapshot is not flushed on
    // its own and decoding reads only flushed WAL: the commit after it flushes it.
    await db.app.query(`SELECT pg_log_standby_snapshot()`);
    await db.app.query(`INSERT INTO unrelated (payload) VALUES ('flush')`);
    await stream.advance((await stream.read({ maxChanges: 100 })).endLsn);

    const released = await stream.status({ lag: false });
    expect(released.unconsumedBytes).toBeLessThan(10_000);
    expect(released.retainedWalBytes).toBeLessThan(100_000);
    expect(released.walStatus).toBe('reserved');
  });

  it('reports lag as the age of the oldest change not advanced past', async () => {
    const stream = db.stream();
    await stream.setUp();
    expect(await stream.status()).toMatchObject({ lagSeconds: 0, oldestUnappliedCommitTime: null });
    await insertFamily(db.app, newIds());
    await new Promise((resolve) => setTimeout(resolve, 1200));
    const behind = await stream.status();
    expect(behind.lagSeconds).toBeGreaterThanOrEqual(1.1);
    expect(behind.lagSeconds).toBeLessThan(30);
    expect(behind).toMatchObject({
      slot: stream.names.slot,
      publication: stream.names.publication,
      active: false,
      activePid: null,
    });
    const batch = await stream.read({ maxChanges: 100 });
    expect(behind.oldestUnappliedCommitTime).toBe(batch.changes[0]!.commitTime);
    await stream.advance(batch.endLsn);
    expect(await stream.status()).toMatchObject({ lagSeconds: 0, oldestUnappliedCommitTime: null });
  });

  it('lets one round at a time hold the round lock', async () => {
    const stream = db.stream();
    // Another poller of the same sync, e.g. a second function instance.
    const other = new PostgresChangeStream(db.source, stream.names);
    const first = await stream.tryLockRound();
    expect(first).not.toBeNull();
    expect(first!.held()).toBe(true);
    expect(await other.tryLockRound()).toBeNull();
    await first!.release();
    expect(first!.held()).toBe(false);
    const second = await other.tryLockRound();
    expect(second).not.toBeNull();
    await second!.release();
  });
});
