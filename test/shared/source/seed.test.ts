import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initSource, SOURCE_TABLES } from '../../../src/shared/source/schema';
import { seedSource, SeedSummary } from '../../../src/shared/source/seed';
import { TableWriter } from '../../../src/shared/source/seed/table-writer';
import { freshDatabase } from '../../support/servers';

const USERS = 300;

async function sourceDatabase(): Promise<pg.Pool> {
  const pool = new pg.Pool({ connectionString: await freshDatabase('seed'), max: 2 });
  await initSource(pool);
  return pool;
}

async function value<T = unknown>(db: pg.Pool, sql: string): Promise<T> {
  const { rows } = await db.query(sql);
  return Object.values(rows[0] as Record<string, unknown>)[0] as T;
}

async function count(db: pg.Pool, sql: string): Promise<number> {
  return Number(await value(db, sql));
}

async function tableDigests(db: pg.Pool): Promise<Record<string, string>> {
  const digests: Record<string, string> = {};
  for (const table of SOURCE_TABLES) {
    digests[table] = await value(
      db,
      `SELECT md5(string_agg(t::text, E'\\n' ORDER BY id)) FROM ${table} t`,
    );
  }
  return digests;
}

describe('source seed', () => {
  let first: pg.Pool;
  let second: pg.Pool;
  let summary: SeedSummary;
  const progress: [string, number][] = [];

  beforeAll(async () => {
    [first, second] = await Promise.all([sourceDatabase(), sourceDatabase()]);
    await initSource(first); // a second time: idempotent
    summary = await seedSource(first, {
      users: USERS,
      onProgress: (t, n) => progress.push([t, n]),
    });
    await seedSource(second, { users: USERS });
  });

  afterAll(async () => {
    await Promise.all([first?.end(), second?.end()]);
  });

  it('produces identical data for identical options', async () => {
    const [a, b] = await Promise.all([tableDigests(first), tableDigests(second)]);
    expect(a).toEqual(b);
    for (const table of SOURCE_TABLES) expect(a[table]).toMatch(/^[0-9a-f]{32}$/);
  });

  it('produces different data for another seed', async () => {
    const other = await sourceDatabase();
    try {
      await seedSource(other, { users: 20, seed: 7 });
      await seedSource(second, { users: 20, seed: 8, append: true });
      const ids = await other.query('SELECT id FROM users');
      const overlap = await second.query(
        'SELECT count(*)::int AS n FROM users WHERE id = ANY($1::uuid[])',
        [ids.rows.map((r) => r.id)],
      );
      expect(overlap.rows[0].n).toBe(0);
    } finally {
      await other.end();
    }
  });

  it('reports what it inserted, in realistic proportions', async () => {
    for (const table of SOURCE_TABLES) {
      expect(await count(first, `SELECT count(*) FROM ${table}`)).toBe(summary[table]);
    }
    expect(summary.total).toBe(summary.users + summary.posts + summary.comments + summary.votes);
    expect(summary.users).toBe(USERS);
    expect(summary.posts).toBeGreaterThan(USERS * 0.5);
    expect(summary.posts).toBeLessThan(USERS * 2);
    expect(summary.comments).toBeGreaterThan(summary.posts);
    expect(summary.comments).toBeLessThan(summary.posts * 4);
    const targets = summary.posts + summary.comments;
    expect(summary.votes).toBeGreaterThan(targets * 1.5);
    expect(summary.votes).toBeLessThan(targets * 4);
    expect(progress.at(-1)).toEqual(['votes', summary.votes]);
    expect(progress.map(([table]) => table).filter((t, i, all) => all.indexOf(t) === i)).toEqual([
      'users',
      'posts',
      'comments',
      'votes',
    ]);
  });

  it('has a heavy-tailed number of posts per user', async () => {
    const { rows } = await first.query(`
      SELECT count(*) FILTER (WHERE n <= 2)::int AS few, max(n)::int AS most
      FROM (SELECT count(p.id) AS n FROM users u LEFT JOIN posts p ON p.author_id = u.id GROUP BY u.id) x`);
    expect(rows[0].few).toBeGreaterThan(USERS * 0.7);
    expect(rows[0].most).toBeGreaterThanOrEqual(15);
  });

  it('contains stale denormalized copies and orphan votes', async () => {
    expect(
      await count(
        first,
        `SELECT count(*) FROM posts p
         WHERE p.comment_count <> (SELECT count(*) FROM comments c WHERE c.post_id = p.id)`,
      ),
    ).toBeGreaterThan(0);
    expect(
      await count(
        first,
        'SELECT count(*) FROM posts p JOIN users u ON u.id = p.author_id WHERE p.author_username <> u.username',
      ),
    ).toBeGreaterThan(0);
    expect(
      await count(
        first,
        `SELECT count(*) FROM votes v
         WHERE NOT EXISTS (SELECT 1 FROM posts p WHERE p.id = v.target_id)
           AND NOT EXISTS (SELECT 1 FROM comments c WHERE c.id = v.target_id)`,
      ),
    ).toBeGreaterThan(0);
  });

  it('contains awkward text', async () => {
    expect(
      await count(first, `SELECT count(*) FROM users WHERE username ~ '[/?#\\\\]'`),
    ).toBeGreaterThan(0);
    expect(
      await count(
        first,
        `SELECT count(*) FROM users WHERE username ~ '[% ]' OR email ~ '[% /?#\\\\]'`,
      ),
    ).toBeGreaterThan(0);
    const patterns: Record<string, string> = {
      cjk: '[\u4e00-\u9fff]',
      rtl: '[\u0590-\u06ff]',
      accent: 'é',
      zwjEmoji: '\u200d',
      singleQuote: "'",
      doubleQuote: '"',
      backslash: '\\\\',
      newline: '\n',
    };
    for (const [name, pattern] of Object.entries(patterns)) {
      const { rows } = await first.query(
        'SELECT count(*)::int AS n FROM (SELECT content FROM posts UNION ALL SELECT content FROM comments) t WHERE content ~ $1',
        [pattern],
      );
      expect(rows[0].n, name).toBeGreaterThan(0);
    }
    expect(await count(first, 'SELECT max(length(content)) FROM posts')).toBeGreaterThan(100_000);
    expect(await count(first, 'SELECT max(length(content)) FROM comments')).toBeGreaterThan(90_000);
  });

  it('contains NULLs where production has them', async () => {
    const checks = [
      `SELECT count(*) FROM posts WHERE sentiment_score IS NULL AND sentiment_colors IS NULL
         AND sentiment_type IS NULL AND sentiment_analysis IS NULL`,
      `SELECT count(*) FROM comments WHERE sentiment_score IS NULL AND sentiment_colors IS NULL AND sentiment_type IS NULL`,
      `SELECT count(*) FROM posts WHERE num_nulls(sentiment_score, sentiment_colors, sentiment_type) BETWEEN 1 AND 2`,
      'SELECT count(*) FROM posts WHERE sentiment_analysis IS NULL AND sentiment_score IS NOT NULL',
      'SELECT count(*) FROM posts WHERE toxicity_tags IS NULL',
      'SELECT count(*) FROM comments WHERE toxicity_scores IS NULL',
      "SELECT count(*) FROM posts WHERE sentiment_colors = '{}'",
      "SELECT count(*) FROM posts WHERE sentiment_analysis->>'model' = 'v2' AND jsonb_typeof(sentiment_analysis->'scores') = 'object'",
    ];
    for (const sql of checks) expect(await count(first, sql), sql).toBeGreaterThan(0);
    expect(
      await count(
        first,
        "SELECT count(*) FROM posts WHERE sentiment_score = 'NaN' OR popularity_score IN ('NaN', 'Infinity', '-Infinity')",
      ),
    ).toBe(0);
  });

  it('threads comments consistently, with paths of ids as the source stores them', async () => {
    const maxDepth = await count(first, 'SELECT max(depth) FROM comments');
    expect(maxDepth).toBeGreaterThanOrEqual(3);
    expect(maxDepth).toBeLessThanOrEqual(10);
    const uuid = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
    const broken = [
      // Each segment a lowercase canonical uuid followed by /, one per level, ending in the id.
      `SELECT count(*) FROM comments WHERE path !~ '^(${uuid}/)+$'`,
      "SELECT count(*) FROM comments WHERE depth <> length(path) / 37 - 1 OR right(path, 37) <> id::text || '/'",
      'SELECT count(*) FROM comments WHERE (parent_id IS NULL) <> (depth = 0)',
      "SELECT count(*) FROM comments WHERE parent_id IS NULL AND path <> id::text || '/'",
      `SELECT count(*) FROM comments c JOIN comments parent ON parent.id = c.parent_id
       WHERE parent.post_id <> c.post_id OR c.path <> parent.path || c.id::text || '/'
          OR c.depth <> parent.depth + 1 OR c.created_at <= parent.created_at`,
      // The path's first segment is the root of the comment's own post.
      `SELECT count(*) FROM comments c LEFT JOIN comments root ON root.id = left(c.path, 36)::uuid
       WHERE root.id IS NULL OR root.post_id <> c.post_id OR root.parent_id IS NOT NULL`,
      'SELECT count(*) - count(DISTINCT path) FROM comments',
    ];
    for (const sql of broken) expect(await count(first, sql), sql).toBe(0);
  });

  it('keeps time in order, with microseconds', async () => {
    const broken = [
      'SELECT count(*) FROM posts WHERE updated_at < created_at',
      'SELECT count(*) FROM comments WHERE updated_at < created_at',
      'SELECT count(*) FROM comments c JOIN posts p ON p.id = c.post_id WHERE c.created_at <= p.created_at',
      `SELECT count(*) FROM votes v LEFT JOIN posts p ON p.id = v.target_id LEFT JOIN comments c ON c.id = v.target_id
       WHERE v.created_at <= coalesce(p.created_at, c.created_at)`,
      'SELECT count(*) FROM votes WHERE extract(microseconds FROM created_at)::bigint % 1000 = 0',
      "SELECT count(*) FROM posts WHERE created_at < '2024-01-01'",
    ];
    for (const sql of broken) expect(await count(first, sql), sql).toBe(0);
  });

  it('uses the documented vocabularies', async () => {
    const { rows } = await first.query('SELECT DISTINCT vote_type, target_type FROM votes');
    expect(new Set(rows.map((r) => r.vote_type))).toEqual(
      new Set(['like', 'love', 'laugh', 'wow', 'sad', 'angry']),
    );
    expect(new Set(rows.map((r) => r.target_type))).toEqual(new Set(['post', 'comment']));
  });

  it('refuses a database that already holds rows, unless appending', async () => {
    await expect(seedSource(first, { users: 5 })).rejects.toThrow(/not empty/);
    const before = await count(first, 'SELECT count(*) FROM users');
    const added = await seedSource(first, { users: 50, append: true });
    expect(await count(first, 'SELECT count(*) FROM users')).toBe(before + added.users);
  });

  it('validates its options and needs the schema', async () => {
    await expect(seedSource(first, { users: 0 })).rejects.toThrow(/users must be an integer >= 1/);
    await expect(seedSource(first, { users: 1.5 })).rejects.toThrow(
      /users must be an integer >= 1/,
    );
    const bare = new pg.Pool({ connectionString: await freshDatabase('seed_bare'), max: 1 });
    try {
      await expect(seedSource(bare, { users: 1 })).rejects.toThrow(/schema missing/);
    } finally {
      await bare.end();
    }
  });
});

describe('TableWriter', () => {
  it('keeps NULL arrays, empty arrays, NULL elements and awkward strings apart', async () => {
    const db = new pg.Pool({ connectionString: await freshDatabase('seed_writer'), max: 1 });
    try {
      await db.query('CREATE TABLE t (n int, tags text[], doc jsonb, note text)');
      const chunks: number[] = [];
      const writer = new TableWriter(
        db,
        't',
        [
          ['n', 'int4'],
          ['tags', 'text[]'],
          ['doc', 'jsonb'],
          ['note', 'text'],
        ],
        2,
        (_table, n) => chunks.push(n),
      );
      const awkward = ['', 'NULL', 'a,b', '{x}', 'q"uote', 'back\\slash', ' spaced ', '👨‍👩‍👧‍👦', 'null'];
      const rows: [number, (string | null)[] | null, unknown, string | null][] = [
        [1, null, null, null],
        [2, [], {}, ''],
        [3, [null], { a: null }, 'NULL'],
        [4, awkward, { s: 'x"\\y', n: [1.5, 0.001] }, 'it\'s "quoted" \\'],
        [5, ['a', null, 'b'], [], '東京'],
      ];
      for (const row of rows) await writer.add(row);
      await writer.flush();
      expect(chunks).toEqual([2, 4, 5]);
      const { rows: back } = await db.query('SELECT n, tags, doc, note FROM t ORDER BY n');
      expect(back.map((r) => [r.n, r.tags, r.doc, r.note])).toEqual(rows);
      expect(await count(db, 'SELECT count(*) FROM t WHERE tags IS NULL')).toBe(1);
      expect(await count(db, "SELECT count(*) FROM t WHERE tags = '{}'")).toBe(1);
    } finally {
      await db.end();
    }
  });
});
