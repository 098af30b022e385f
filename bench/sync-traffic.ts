// The application's writes the sync phases replay: a realistic mix of small transactions
// (reactions, comments, posts, sign-ups, edits, deletes, a few renames), made server-side by a
// procedure so a backlog of 100k changes is written in seconds, and committed one app
// transaction at a time with synchronous_commit on (logical decoding reads only flushed WAL).
import pg from 'pg';

const pick = (table: string) => `
CREATE OR REPLACE FUNCTION bench_pick_${table}() RETURNS uuid LANGUAGE plpgsql AS $$
DECLARE
  k uuid := md5(random()::text)::uuid;
  found_id uuid;
BEGIN
  -- The ids are uniform (UUIDs): the first at or after a random one is a random row, by index.
  SELECT id INTO found_id FROM ${table} WHERE id >= k ORDER BY id LIMIT 1;
  IF found_id IS NULL THEN SELECT id INTO found_id FROM ${table} ORDER BY id LIMIT 1; END IF;
  RETURN found_id;
END $$;`;

/** Shares of the operations (each one app transaction); what is left over edits posts. */
export const TRAFFIC_MIX = {
  voteInsert: 0.22,
  voteFlip: 0.1,
  voteDelete: 0.07,
  commentInsert: 0.16,
  commentEdit: 0.1,
  commentDelete: 0.04,
  postInsert: 0.05,
  postEdit: 0.15,
  signUp: 0.04,
  profileEdit: 0.069,
  rename: 0.001,
} as const;

const cut = (() => {
  let sum = 0;
  return Object.fromEntries(
    Object.entries(TRAFFIC_MIX).map(([name, share]) => [name, (sum += share)]),
  ) as Record<keyof typeof TRAFFIC_MIX, number>;
})();

const PROCEDURE = `
CREATE OR REPLACE PROCEDURE bench_traffic(wanted int, INOUT made int DEFAULT 0)
LANGUAGE plpgsql AS $$
DECLARE
  r float8;
  n int;
  u uuid;
  t uuid;
  p uuid;
  c uuid;
  new_id uuid;
  parent_id uuid;
  parent_path text;
  parent_depth int;
  name text;
  ops int := 0;
BEGIN
  made := 0;
  -- Bounded: every operation makes a change but a refused reaction or a skipped delete.
  WHILE made < wanted AND ops < 20 * wanted LOOP
    ops := ops + 1;
    r := random();
    IF r < ${cut.voteInsert} THEN
      -- A reaction on a post (60 %) or a comment; a second one on the same target is refused.
      u := bench_pick_users();
      IF random() < 0.6 THEN
        t := bench_pick_posts();
        INSERT INTO votes (id, user_id, target_id, target_type, vote_type)
        VALUES (gen_random_uuid(), u, t, 'post',
                (ARRAY['like','like','like','like','love','love','laugh','wow','sad','angry'])[1 + floor(random() * 10)::int])
        ON CONFLICT DO NOTHING;
      ELSE
        t := bench_pick_comments();
        INSERT INTO votes (id, user_id, target_id, target_type, vote_type)
        VALUES (gen_random_uuid(), u, t, 'comment',
                (ARRAY['like','like','like','like','love','love','laugh','wow','sad','angry'])[1 + floor(random() * 10)::int])
        ON CONFLICT DO NOTHING;
      END IF;
      GET DIAGNOSTICS n = ROW_COUNT;
      made := made + n;
    ELSIF r < ${cut.voteFlip} THEN
      t := bench_pick_votes();
      UPDATE votes SET vote_type = CASE WHEN vote_type = 'like' THEN 'love' ELSE 'like' END WHERE id = t;
      GET DIAGNOSTICS n = ROW_COUNT;
      made := made + n;
    ELSIF r < ${cut.voteDelete} THEN
      t := bench_pick_votes();
      DELETE FROM votes WHERE id = t;
      GET DIAGNOSTICS n = ROW_COUNT;
      made := made + n;
    ELSIF r < ${cut.commentInsert} THEN
      -- A top-level comment or a reply; the app keeps posts.comment_count in the same transaction.
      p := bench_pick_posts();
      new_id := gen_random_uuid();
      parent_id := NULL;
      parent_path := NULL;
      parent_depth := NULL;
      IF random() < 0.5 THEN
        SELECT id, path, depth INTO parent_id, parent_path, parent_depth
        FROM comments WHERE post_id = p ORDER BY random() LIMIT 1;
      END IF;
      INSERT INTO comments (id, post_id, content, user_id, parent_id, path, depth)
      VALUES (new_id, p, 'a comment written while the sync runs', bench_pick_users(), parent_id,
              coalesce(parent_path, '') || new_id || '/', coalesce(parent_depth + 1, 0));
      UPDATE posts SET comment_count = coalesce(comment_count, 0) + 1 WHERE id = p;
      made := made + 2;
    ELSIF r < ${cut.commentEdit} THEN
      c := bench_pick_comments();
      UPDATE comments SET content = left(content, 2000) || ' (edited)', updated_at = now() WHERE id = c;
      GET DIAGNOSTICS n = ROW_COUNT;
      made := made + n;
    ELSIF r < ${cut.commentDelete} THEN
      -- A leaf comment, with its reactions; the post's counter goes down.
      c := bench_pick_comments();
      IF NOT EXISTS (SELECT 1 FROM comments WHERE comments.parent_id = c) THEN
        DELETE FROM votes WHERE target_id = c AND target_type = 'comment';
        GET DIAGNOSTICS n = ROW_COUNT;
        made := made + n;
        DELETE FROM comments WHERE id = c RETURNING post_id INTO p;
        GET DIAGNOSTICS n = ROW_COUNT;
        made := made + n;
        UPDATE posts SET comment_count = greatest(coalesce(comment_count, 0) - 1, 0) WHERE id = p;
        GET DIAGNOSTICS n = ROW_COUNT;
        made := made + n;
      END IF;
    ELSIF r < ${cut.postInsert} THEN
      u := bench_pick_users();
      INSERT INTO posts (id, title, content, author_id, author_username, sentiment_score,
                         sentiment_colors, sentiment_type, sentiment_analysis, toxicity_tags,
                         toxicity_scores)
      SELECT gen_random_uuid(), 'a post written while the sync runs', repeat('words ', 40), id,
             username, 0.25, ARRAY['green'], 'positive', '{"score": 0.25}', ARRAY['none'],
             '{"toxic": 0.01}'
      FROM users WHERE id = u;
      GET DIAGNOSTICS n = ROW_COUNT;
      made := made + n;
    ELSIF r < ${cut.postEdit} THEN
      -- Edited by its author (2/3) or re-scored by the ranking job.
      p := bench_pick_posts();
      IF random() < 0.67 THEN
        UPDATE posts SET title = left(title, 200) || ' (edited)', updated_at = now() WHERE id = p;
      ELSE
        UPDATE posts SET popularity_score = coalesce(popularity_score, 1) * 1.01 WHERE id = p;
      END IF;
      GET DIAGNOSTICS n = ROW_COUNT;
      made := made + n;
    ELSIF r < ${cut.signUp} THEN
      name := 'bench_' || md5(random()::text);
      INSERT INTO users (id, username, email, password_hash)
      VALUES (gen_random_uuid(), name, name || '@example.org', md5(random()::text));
      made := made + 1;
    ELSIF r < ${cut.profileEdit} THEN
      -- A new password or a new e-mail address (which moves its lookup document).
      u := bench_pick_users();
      IF random() < 0.5 THEN
        UPDATE users SET password_hash = md5(random()::text) WHERE id = u;
      ELSE
        UPDATE users SET email = 'bench_' || md5(random()::text) || '@example.org' WHERE id = u;
      END IF;
      GET DIAGNOSTICS n = ROW_COUNT;
      made := made + n;
    ELSE
      -- A rename: the app rewrites its own copies of the name too.
      u := bench_pick_users();
      name := 'renamed_' || md5(random()::text);
      UPDATE users SET username = name WHERE id = u;
      UPDATE posts SET author_username = name WHERE author_id = u;
      GET DIAGNOSTICS n = ROW_COUNT;
      made := made + 1 + n;
    END IF;
    COMMIT;
  END LOOP;
END $$;`;

/** A session for the application's writes: its commits wait for their WAL flush. */
export function trafficPool(url: string, max = 1): pg.Pool {
  return new pg.Pool({
    connectionString: url,
    max,
    options: '-c synchronous_commit=on',
  });
}

/** Installs the procedure and its helpers (idempotent). */
export async function installTraffic(pool: pg.Pool): Promise<void> {
  await pool.query(
    [pick('users'), pick('posts'), pick('comments'), pick('votes'), PROCEDURE].join('\n'),
  );
}

/**
 * Writes at least `changes` row changes (inserts, updates and deletes), one app transaction
 * per commit; returns how many it made. Runs in chunks so one call never holds a session long.
 */
export async function writeTraffic(
  pool: pg.Pool,
  changes: number,
  chunk = 10_000,
): Promise<number> {
  let made = 0;
  while (made < changes) {
    const wanted = Math.min(chunk, changes - made);
    // CALL with transaction control must be its own top-level statement (simple protocol).
    const { rows } = await pool.query<{ made: number }>(
      `CALL bench_traffic(${Math.max(1, Math.floor(wanted))})`,
    );
    if (rows[0]!.made < 1) throw new Error('the traffic procedure made no change');
    made += rows[0]!.made;
  }
  return made;
}

/** The source's flushed WAL position: every commit that has returned is at or before it. */
export async function flushedLsn(pool: pg.Pool): Promise<string> {
  const { rows } = await pool.query<{ lsn: string }>(
    'SELECT pg_current_wal_flush_lsn()::text AS lsn',
  );
  return rows[0]!.lsn;
}
