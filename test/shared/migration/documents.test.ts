import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getRun } from '../../../src/shared/migration/run-queries';
import { startMigration } from '../../../src/shared/migration/start-migration';
import { createWorld, TestWorld } from '../../support/engine';

const U1 = 'A1111111-1111-4111-8111-111111111111';
const U2 = '22222222-2222-4222-8222-222222222222';
const U3 = '33333333-3333-4333-8333-333333333333';
const U4 = '3a3a3a3a-3333-4333-8333-333333333333';
const P1 = '44444444-4444-4444-8444-444444444444';
const P2 = '55555555-5555-4555-8555-555555555555';
const P3 = '66666666-6666-4666-8666-666666666666';
const C1 = '77777777-7777-4777-8777-777777777777';
const C2 = '88888888-8888-4888-8888-888888888888';
const C3 = 'C3333333-3333-4333-8333-333333333333';
const ORPHAN_TARGET = '99999999-9999-4999-8999-999999999999';
const u1 = U1.toLowerCase();
const weirdName = `ann/o?n#e\\ "q" 'é' 😀 %`;
/** 2-, 3- and 4-byte characters: "username:" + 37 x (6 + 9 + 12) + 6 + 9 makes 1,023 bytes. */
const nameAtIdLimit = `${'é日😀'.repeat(37)}é日`;
const c1Path = `${C1}/`;
const c2Path = `${C1}/${C2}/`;

/** Rows covering the source's mess, then the exact documents of docs/data-model.md. */
describe('full load produces the documents of the data model', () => {
  let world: TestWorld;
  let runId: string;

  beforeAll(async () => {
    world = await createWorld('docs');
    await world.source.query(
      `
      INSERT INTO users VALUES
        ('${U1}', $1, 'ann+x/y?z#@example.com', 'hash-1', '2024-01-02 03:04:05.123456+00'),
        ('${U2}', 'bob', 'bob@example.com', 'hash-2', '2024-01-03 00:00:00+00'),
        ('${U3}', '${nameAtIdLimit}x', 'long@example.com', 'hash-3', NULL),
        ('${U4}', '${nameAtIdLimit}', 'limit@example.com', 'hash-4', NULL);
      INSERT INTO posts (id, title, content, author_id, author_username, created_at, updated_at, comment_count,
                         sentiment_score, sentiment_colors, sentiment_type, sentiment_analysis, popularity_score,
                         is_blocked, toxicity_tags, toxicity_scores) VALUES
        ('${P1}', 'T1', 'c1 "quoted" \\ 日本', '${U1}', 'stale-name', '2024-02-01 00:00:00.000001+00',
         '2024-02-02 00:00:00+00', 99, NULL, NULL, NULL, NULL, 2.5, false, NULL, NULL),
        ('${P2}', 'T2', 'c2', '${U2}', 'bob', '2024-02-03 00:00:00+00', '2024-02-04 00:00:00+00', 0,
         0.25, '{red,blue}', 'positive', '{"model":"v2","scores":{"joy":0.8}}', NULL, NULL, '{spam}', '{"toxic":0.01}'),
        ('${P3}', 'T3', 'c3', '${U2}', 'bob', '2024-02-05 00:00:00+00', '2024-02-05 00:00:00+00', 0,
         'NaN', NULL, NULL, NULL, 1.0, false, NULL, NULL);
      INSERT INTO comments (id, post_id, content, user_id, parent_id, path, depth, sentiment_score, sentiment_colors,
                            sentiment_type, is_blocked, toxicity_tags, toxicity_scores, created_at, updated_at) VALUES
        ('${C1}', '${P1}', 'root', '${U2}', NULL, '${c1Path}', 0, NULL, NULL, NULL, false, NULL, NULL,
         '2024-03-01 00:00:00+00', '2024-03-01 00:00:00+00'),
        ('${C2}', '${P1}', 'reply', NULL, '${C1}', '${c2Path}', 1, 0.5, NULL, NULL, NULL, '{}', '{"insult":0.2}',
         '2024-03-02 00:00:00.5+00', '2024-03-02 00:00:00.5+00'),
        -- a path in an older, dotted form: inconsistent, so a preflight finding, and kept as stored
        ('${C3}', '${P1}', 'legacy', '${U2}', '${C1}', '0001.0002', 1, NULL, NULL, NULL, false, NULL, NULL,
         '2024-03-05 00:00:00+00', '2024-03-05 00:00:00+00');
      INSERT INTO votes VALUES
        ('aaaaaaaa-0000-4000-8000-000000000001', '${U2}', '${P1}', 'post', 'like', '2024-04-01 00:00:00+00'),
        ('aaaaaaaa-0000-4000-8000-000000000002', '${U1}', '${P1}', 'post', 'love', '2024-03-15 00:00:00+00'),
        ('aaaaaaaa-0000-4000-8000-000000000003', '${U1}', '${C1}', 'comment', 'wow', '2024-03-03 00:00:00+00'),
        ('aaaaaaaa-0000-4000-8000-000000000004', '${U1}', '${ORPHAN_TARGET}', 'post', 'sad', '2024-03-04 00:00:00+00');
    `.replace('$1', `'${weirdName.replace(/'/g, "''")}'`),
    );
    const engine = world.engine();
    runId = (await startMigration(engine, { batchSize: 100 })).runId;
    await engine.localQueue.idle();
  });

  afterAll(() => world?.close());

  it('writes users with both lookup documents, encoding free text in ids', async () => {
    expect(await world.read('users', u1, `user:${u1}`)).toEqual({
      id: u1,
      pk: `user:${u1}`,
      type: 'user',
      username: weirdName,
      email: 'ann+x/y?z#@example.com',
      passwordHash: 'hash-1',
      profile: { displayName: weirdName, bio: null, avatarUrl: null },
      metadata: { createdAt: '2024-01-02T03:04:05.123456Z', lastLoginAt: null, isActive: true },
    });
    const usernameKey = `username:${encodeURIComponent(weirdName)}`;
    expect(await world.read('users', usernameKey, usernameKey)).toEqual({
      id: usernameKey,
      pk: usernameKey,
      type: 'usernameLookup',
      userId: u1,
    });
    const emailKey = `email:${encodeURIComponent('ann+x/y?z#@example.com')}`;
    expect(await world.read('users', emailKey, emailKey)).toEqual({
      id: emailKey,
      pk: emailKey,
      type: 'emailLookup',
      userId: u1,
    });
  });

  it('writes a lookup id of exactly 1,023 UTF-8 bytes, which the server accepts', async () => {
    const usernameKey = `username:${encodeURIComponent(nameAtIdLimit)}`;
    expect(Buffer.byteLength(usernameKey)).toBe(1023);
    expect(await world.read('users', usernameKey, usernameKey)).toEqual({
      id: usernameKey,
      pk: usernameKey,
      type: 'usernameLookup',
      userId: U4.toLowerCase(),
    });
    const user = await world.read<Record<string, unknown>>('users', U4, `user:${U4}`);
    expect(user?.username).toBe(nameAtIdLimit);
  });

  it('computes post counts from the rows, not the stale columns', async () => {
    expect(await world.read('posts', P1.toLowerCase(), `user:${u1}`)).toEqual({
      id: P1.toLowerCase(),
      pk: `user:${u1}`,
      type: 'post',
      title: 'T1',
      content: 'c1 "quoted" \\ 日本',
      author: { id: u1, username: weirdName, displayName: weirdName },
      engagement: {
        commentCount: 3,
        voteCount: 2,
        voteCounts: { like: 1, love: 1 },
        popularityScore: 2.5,
        lastActivityAt: '2024-04-01T00:00:00.000000Z',
      },
      sentiment: null,
      moderation: {
        isBlocked: false,
        toxicityTags: [],
        scores: null,
        reviewedAt: '2024-02-02T00:00:00.000000Z',
      },
      timestamps: {
        createdAt: '2024-02-01T00:00:00.000001Z',
        updatedAt: '2024-02-02T00:00:00.000000Z',
      },
    });
    const p2 = await world.read<Record<string, unknown>>('posts', P2.toLowerCase(), `user:${U2}`);
    expect(p2?.sentiment).toEqual({
      score: 0.25,
      colors: ['red', 'blue'],
      type: 'positive',
      analysis: { model: 'v2', scores: { joy: 0.8 } },
    });
    expect(p2?.engagement).toEqual({
      commentCount: 0,
      voteCount: 0,
      voteCounts: {},
      popularityScore: null,
      lastActivityAt: '2024-02-04T00:00:00.000000Z',
    });
    expect(p2?.moderation).toEqual({
      isBlocked: null,
      toxicityTags: ['spam'],
      scores: { toxic: 0.01 },
      reviewedAt: '2024-02-04T00:00:00.000000Z',
    });
  });

  it('writes threaded comments with postPk and childCount', async () => {
    expect(await world.read('comments', C1.toLowerCase(), `post:${P1.toLowerCase()}`)).toEqual({
      id: C1.toLowerCase(),
      pk: `post:${P1.toLowerCase()}`,
      type: 'comment',
      postId: P1.toLowerCase(),
      postPk: `user:${u1}`,
      content: 'root',
      author: { id: U2, username: 'bob', displayName: 'bob' },
      threading: { parentId: null, path: c1Path, depth: 0, childCount: 2 },
      engagement: { voteCount: 1, voteCounts: { wow: 1 } },
      sentiment: null,
      moderation: { isBlocked: false, toxicityTags: [], scores: null },
      timestamps: {
        createdAt: '2024-03-01T00:00:00.000000Z',
        updatedAt: '2024-03-01T00:00:00.000000Z',
      },
    });
    const reply = await world.read<Record<string, unknown>>(
      'comments',
      C2.toLowerCase(),
      `post:${P1.toLowerCase()}`,
    );
    expect(reply?.author).toEqual({ id: null, username: null, displayName: null });
    expect(reply?.threading).toEqual({
      parentId: C1.toLowerCase(),
      path: c2Path,
      depth: 1,
      childCount: 0,
    });
    const legacy = await world.read<Record<string, unknown>>(
      'comments',
      C3.toLowerCase(),
      `post:${P1.toLowerCase()}`,
    );
    expect(legacy?.threading).toEqual({
      parentId: C1.toLowerCase(),
      path: '0001.0002',
      depth: 1,
      childCount: 0,
    });
    expect(reply?.sentiment).toEqual({ score: 0.5, colors: [], type: null });
  });

  it('writes votes with deterministic ids, and orphans with targetPk null', async () => {
    const id = `vote_${U2}_${P1.toLowerCase()}_post`;
    expect(await world.read('votes', id, `target:${P1.toLowerCase()}`)).toEqual({
      id,
      pk: `target:${P1.toLowerCase()}`,
      type: 'vote',
      sourceId: 'aaaaaaaa-0000-4000-8000-000000000001',
      userId: U2,
      targetId: P1.toLowerCase(),
      targetType: 'post',
      voteType: 'like',
      targetPk: `user:${u1}`,
      user: { username: 'bob', displayName: 'bob' },
      timestamps: { createdAt: '2024-04-01T00:00:00.000000Z' },
    });
    const commentVote = await world.read<Record<string, unknown>>(
      'votes',
      `vote_${u1}_${C1.toLowerCase()}_comment`,
      `target:${C1.toLowerCase()}`,
    );
    expect(commentVote?.targetPk).toBe(`post:${P1.toLowerCase()}`);
    const orphan = await world.read<Record<string, unknown>>(
      'votes',
      `vote_${u1}_${ORPHAN_TARGET}_post`,
      `target:${ORPHAN_TARGET}`,
    );
    expect(orphan?.targetPk).toBeNull();
  });

  it('reports rows that cannot be represented and accounts for every row', async () => {
    const report = await getRun(world.engine(), runId, true);
    expect(report.failedBatches).toEqual([]);
    expect(report.status).toBe('completed_with_errors');
    expect(report.rowErrorList.map(({ table, id, code }) => ({ table, id, code }))).toEqual([
      { table: 'posts', id: P3.toLowerCase(), code: 'NON_FINITE_NUMBER' },
      { table: 'users', id: U3.toLowerCase(), code: 'ID_TOO_LONG' },
    ]);
    expect(await world.read('posts', P3.toLowerCase(), `user:${U2}`)).toBeUndefined();
    expect(await world.read('users', U3.toLowerCase(), `user:${U3.toLowerCase()}`)).toBeUndefined();
    expect(report.rowErrorList.find((e) => e.code === 'ID_TOO_LONG')?.message).toMatch(
      /^username lookup id .* is 1024 bytes \(UTF-8\), over the Cosmos id limit of 1023 bytes$/,
    );
    expect(report.entities.users).toMatchObject({
      sourceRows: 4,
      rowsMigrated: 3,
      rowErrors: 1,
      documentsWritten: 9,
    });
    expect(report.entities.posts).toMatchObject({
      sourceRows: 3,
      rowsMigrated: 2,
      rowErrors: 1,
      documentsWritten: 2,
    });
    expect(report.entities.comments).toMatchObject({
      sourceRows: 3,
      rowsMigrated: 3,
      documentsWritten: 3,
    });
    expect(report.entities.votes).toMatchObject({
      sourceRows: 4,
      rowsMigrated: 4,
      documentsWritten: 4,
      findings: { orphanVotes: 1 },
    });
    expect(report.totals.lostRows).toBe(0);
  });
});
