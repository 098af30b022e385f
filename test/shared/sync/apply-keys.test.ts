import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalEngine } from '../../../src/cli/local-engine';
import { TOMBSTONE_TYPE } from '../../../src/shared/entities/entity';
import { startMigration } from '../../../src/shared/migration/start-migration';
import { seedSource } from '../../../src/shared/source/seed';
import { applyKeys } from '../../../src/shared/sync/apply-keys';
import { addKeys, emptyKeys, SourceKeys } from '../../../src/shared/sync/source-keys';
import { runValidationInline } from '../../../src/shared/validation/run-inline';
import { DATA_CONTAINERS, freshExtraction, storedDocuments } from '../../support/documents';
import { createWorld, TestWorld } from '../../support/engine';

const TTL = 3600;

describe('applying changed source keys to Cosmos', () => {
  let world: TestWorld;
  let engine: LocalEngine;
  const changed: SourceKeys = emptyKeys();
  const one = async <T = Record<string, string>>(sql: string, values: unknown[] = []) =>
    (await world.source.query(sql, values)).rows[0] as T;

  const deps = () => ({
    source: engine.source,
    reader: engine.reader,
    writer: engine.writer,
    tombstoneTtlSeconds: TTL,
  });

  beforeAll(async () => {
    world = await createWorld('sync_apply');
    await seedSource(world.source, { users: 40, seed: 7 });
    engine = world.engine();
    await startMigration(engine, { batchSize: 500 });
    await engine.localQueue.idle();
  });

  afterAll(() => world?.close());

  it('writes what every kind of change leaves, deletes what is gone (with tombstones), and validates ready', async () => {
    // A user who has posts, comments and votes is renamed: lookups move, embedded names follow.
    const renamed = await one(`SELECT u.id FROM users u
      WHERE EXISTS (SELECT 1 FROM posts WHERE author_id = u.id)
        AND EXISTS (SELECT 1 FROM comments WHERE user_id = u.id)
        AND EXISTS (SELECT 1 FROM votes WHERE user_id = u.id) ORDER BY id LIMIT 1`);
    await world.source.query(
      `UPDATE users SET username = 'renamed_' || left(id::text, 8), email = 'renamed_' || left(id::text, 8) || '@example.org' WHERE id = $1`,
      [renamed.id],
    );
    addKeys(changed, 'users', [renamed.id]);

    // A vote flips its type; another moves to a post its user had not voted on; a third is removed.
    const flipped = await one(
      `SELECT id, vote_type FROM votes WHERE target_type = 'post' ORDER BY id LIMIT 1`,
    );
    await world.source.query(
      `UPDATE votes SET vote_type = CASE WHEN vote_type = 'angry' THEN 'love' ELSE 'angry' END WHERE id = $1`,
      [flipped.id],
    );
    const moving = await one(
      `SELECT v.id, p.id AS to_post FROM votes v CROSS JOIN LATERAL (
        SELECT p.id FROM posts p WHERE p.id <> v.target_id AND NOT EXISTS (
          SELECT 1 FROM votes o WHERE o.user_id = v.user_id AND o.target_id = p.id) ORDER BY p.id LIMIT 1) p
      WHERE v.target_type = 'post' AND v.id <> $1 ORDER BY v.id LIMIT 1`,
      [flipped.id],
    );
    await world.source.query(`UPDATE votes SET target_id = $2 WHERE id = $1`, [
      moving.id,
      moving.to_post,
    ]);
    const removedVote = await one(
      `SELECT id FROM votes WHERE target_type = 'comment' ORDER BY id LIMIT 1`,
    );
    await world.source.query(`DELETE FROM votes WHERE id = $1`, [removedVote.id]);
    addKeys(changed, 'votes', [flipped.id, moving.id, removedVote.id]);

    // A comment with replies is deleted with its whole subtree (their votes stay, as orphans).
    const subtree = (
      await world.source.query<{ id: string }>(`WITH RECURSIVE t AS (
          SELECT id FROM comments WHERE id = (SELECT parent_id FROM comments WHERE parent_id IS NOT NULL ORDER BY id LIMIT 1)
          UNION SELECT c.id FROM comments c JOIN t ON c.parent_id = t.id)
        SELECT id FROM t`)
    ).rows.map((row) => row.id);
    expect(subtree.length).toBeGreaterThan(1);
    await world.source.query(`DELETE FROM comments WHERE id = ANY($1::uuid[])`, [subtree]);
    addKeys(changed, 'comments', subtree);

    // A leaf reply moves under another root comment of its post.
    const reparented = await one(`SELECT c.id, r.id AS root, r.path AS root_path FROM comments c
        JOIN comments r ON r.post_id = c.post_id AND r.parent_id IS NULL AND r.id <> c.parent_id
      WHERE c.parent_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM comments k WHERE k.parent_id = c.id)
      ORDER BY c.id LIMIT 1`);
    await world.source.query(
      `UPDATE comments SET parent_id = $2, path = $3 || id::text || '/', depth = 1, updated_at = now() WHERE id = $1`,
      [reparented.id, reparented.root, reparented.root_path],
    );
    addKeys(changed, 'comments', [reparented.id]);

    // A post with comments and votes changes author: it moves partition; postPk and targetPk follow.
    const moved =
      await one(`SELECT p.id, (SELECT id FROM users WHERE id <> p.author_id ORDER BY id DESC LIMIT 1) AS to_author
      FROM posts p WHERE EXISTS (SELECT 1 FROM comments WHERE post_id = p.id)
        AND EXISTS (SELECT 1 FROM votes WHERE target_id = p.id) ORDER BY p.id LIMIT 1`);
    await world.source.query(`UPDATE posts SET author_id = $2 WHERE id = $1`, [
      moved.id,
      moved.to_author,
    ]);
    addKeys(changed, 'posts', [moved.id]);

    // New rows: a user, a post of theirs, a comment on it and a vote on the comment.
    const [user, post, comment, vote] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    await world.source.query(`
      INSERT INTO users (id, username, email, password_hash) VALUES ('${user}', 'fresh user/?#', 'fresh@example.org', 'x');
      INSERT INTO posts (id, title, content, author_id, author_username) VALUES ('${post}', 't', 'c', '${user}', 'stale');
      INSERT INTO comments (id, post_id, content, user_id, path, depth) VALUES ('${comment}', '${post}', 'hi', '${user}', '${comment}/', 0);
      INSERT INTO votes (id, user_id, target_id, target_type, vote_type) VALUES ('${vote}', '${user}', '${comment}', 'comment', 'love');`);
    addKeys(changed, 'users', [user]);
    addKeys(changed, 'posts', [post]);
    addKeys(changed, 'comments', [comment]);
    addKeys(changed, 'votes', [vote]);

    const applied = await applyKeys(deps(), changed);
    expect(applied.rowErrors).toEqual([]);
    expect(applied.entities.comments.documentsDeleted).toBe(subtree.length);
    expect(applied.entities.votes.documentsDeleted).toBeGreaterThanOrEqual(2); // removed, and moved (new id)
    expect(applied.entities.users.documentsDeleted).toBe(2); // the renamed user's two old lookups

    const fresh = await freshExtraction(engine.source);
    for (const container of DATA_CONTAINERS) {
      const stored = await storedDocuments(world, container);
      const tombstones = [...stored].filter(
        ([, d]) => (d as { type: string }).type === TOMBSTONE_TYPE,
      );
      for (const [key] of tombstones) stored.delete(key);
      expect(new Map([...stored].sort()), container).toEqual(
        new Map([...fresh.documents.get(container)!].sort()),
      );
    }
    const commentTombstones = [...(await storedDocuments(world, 'comments')).values()].filter(
      (d) => (d as { type: string }).type === TOMBSTONE_TYPE,
    );
    expect(commentTombstones.map((t) => (t as { deletedId: string }).deletedId).sort()).toEqual(
      [...subtree].sort(),
    );
    expect(commentTombstones[0]).toMatchObject({ deletedType: 'comment', ttl: TTL });
    const voteTombstone = (await storedDocuments(world, 'votes')).get(
      [...(await storedDocuments(world, 'votes')).keys()].find((k) => k.includes('tombstone:'))!,
    );
    expect(voteTombstone).toMatchObject({ type: TOMBSTONE_TYPE, deletedType: 'vote' });

    const verdict = await runValidationInline(
      engine,
      { mode: 'full', batchSize: 500, threshold: 1, trigger: 'manual' },
      2,
    );
    expect(verdict.totals).toMatchObject({ mismatched: 0, missing: 0, extra: 0 });
    expect(verdict.ready).toBe(true);
  });

  it('applies the same keys again without changing any document (a replayed round)', async () => {
    const before = new Map<string, Map<string, unknown>>();
    for (const container of DATA_CONTAINERS)
      before.set(container, await storedDocuments(world, container));
    const again = await applyKeys(deps(), changed);
    expect(again.rowErrors).toEqual([]);
    for (const container of DATA_CONTAINERS) {
      const after = await storedDocuments(world, container);
      // Tombstones are rewritten with a new deletedAt only when something is deleted again: nothing is.
      expect(after, container).toEqual(before.get(container));
    }
    expect(Object.values(again.entities).every((e) => e.documentsDeleted === 0)).toBe(true);
  });
});
