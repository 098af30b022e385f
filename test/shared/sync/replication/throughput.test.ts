import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syncDatabase, type SyncDatabase } from './fixture';

const TRANSACTIONS = 5_000;
const ROWS_PER_TRANSACTION = 10;
const ROUND = 10_000;

/** A backlog as a busy application leaves it, drained the way a round reads: peek, parse, advance. */
describe('draining a backlog', () => {
  let db: SyncDatabase;

  beforeAll(async () => {
    db = await syncDatabase('sync_throughput');
  });
  afterAll(() => db?.close());

  it(`reads ${TRANSACTIONS * ROWS_PER_TRANSACTION} changes in rounds of ${ROUND}, each once`, async () => {
    const stream = db.stream();
    await stream.setUp();
    await db.app.query(`INSERT INTO users (id, username, email, password_hash)
      VALUES ('00000000-0000-4000-8000-000000000000', 'author', 'author@x', 'h')`);
    // One statement, many commits: a procedure-style DO block may end its transactions.
    await db.app.query(`DO $$
      BEGIN
        FOR t IN 1..${TRANSACTIONS} LOOP
          INSERT INTO posts (id, title, content, author_id, author_username, sentiment_colors,
                             sentiment_analysis, toxicity_tags, toxicity_scores)
          SELECT gen_random_uuid(), 'post ' || t || '.' || r, repeat('words ', 40),
                 '00000000-0000-4000-8000-000000000000', 'author', ARRAY['red', 'green'],
                 '{"score": 0.25, "label": "positive"}', ARRAY['none'], '{"toxic": 0.01}'
          FROM generate_series(1, ${ROWS_PER_TRANSACTION}) r;
          COMMIT;
        END LOOP;
      END $$`);
    // The first round has the user's insert too.
    const expected = TRANSACTIONS * ROWS_PER_TRANSACTION + 1;

    const ids = new Set<string>();
    let changes = 0;
    let messages = 0;
    let rounds = 0;
    const started = process.hrtime.bigint();
    for (;;) {
      const batch = await stream.read({ maxChanges: ROUND });
      for (const change of batch.changes) ids.add(change.key.id);
      changes += batch.changes.length;
      messages += batch.messages;
      rounds++;
      await stream.advance(batch.endLsn);
      if (!batch.more) break;
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;

    expect(changes).toBe(expected);
    expect(ids.size).toBe(expected);
    expect(rounds).toBeGreaterThanOrEqual(Math.floor(messages / ROUND));
    console.log(
      `replication throughput: ${changes} changes (${messages} messages) in ${rounds} rounds of ` +
        `${ROUND} in ${seconds.toFixed(2)} s: ${Math.round(changes / seconds)} changes/s`,
    );
  });
});
