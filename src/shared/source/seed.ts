import { Queryable } from './queryable';
import { DAY_MICROS, pgTextArray, pgTimestamp, SeededRandom } from './random';
import { insertChunks } from './seed-insert';
import { SOURCE_TABLES } from './schema';

export interface SeedOptions {
  users: number;
  seed?: number;
  /** Add to tables that already hold rows (otherwise seeding refuses, to protect real data). */
  append?: boolean;
  onProgress?: (table: string, rowsInserted: number) => void;
}

export interface SeedSummary {
  users: number;
  posts: number;
  comments: number;
  votes: number;
  total: number;
}

const COLORS = ['red', 'orange', 'yellow', 'green', 'blue', 'purple'];
const SENTIMENTS = ['positive', 'negative', 'neutral', 'mixed'];
const TAGS = ['spam', 'insult', 'threat', 'profanity'];
const VOTE_TYPES = ['like', 'love', 'laugh', 'wow', 'sad', 'angry'];
const PHRASES = [
  'Hello world',
  'Ça va? Très bien',
  '日本語のテキスト',
  'שלום עולם',
  'مرحبا',
  '👩‍👩‍👧‍👦 family',
  '"quoted" and \'single\'',
  'back\\slash',
  'emoji 😀🔥',
];
/** Usernames and emails real users pick, including characters a Cosmos id may not hold. */
const ODD_NAMES = [
  "o'brien/ops",
  'what?now',
  'hash#tag',
  'back\\slash',
  '100% real',
  'two words',
  'zoë 😀',
];

interface PostPlan {
  id: string;
  createdAt: number;
  comments: number;
}

/**
 * A deterministic Social Pulse sample with the mess of production data (DESIGN §2): stale
 * denormalized columns, NULLs, orphan votes, odd Unicode, id-hostile characters, long texts.
 */
export async function seedSource(db: Queryable, options: SeedOptions): Promise<SeedSummary> {
  if (!Number.isInteger(options.users) || options.users < 1)
    throw new Error('seed: users must be an integer >= 1');
  if (!options.append) await refuseNonEmpty(db);
  const random = new SeededRandom(options.seed ?? 42);
  const progress = options.onProgress ?? (() => undefined);

  const users: { id: string; username: string; createdAt: number }[] = [];
  for (let i = 0; i < options.users; i++) {
    const odd = i % 29 === 7;
    const base = odd ? `${ODD_NAMES[i % ODD_NAMES.length]}_${i}` : `user_${i}`;
    users.push({ id: random.uuid(), username: base, createdAt: random.int(30 * DAY_MICROS) });
  }
  await insertChunks(
    db,
    'users',
    ['id::uuid', 'username', 'email', 'password_hash', 'created_at::timestamptz'],
    users.map((u, i) => [
      u.id,
      u.username,
      i % 31 === 5
        ? `${u.username}+tag/x?y#@exämple.com`
        : `${u.username.replace(/[^a-z0-9_]/gi, '')}.${i}@example.com`,
      `$2b$10$${random.uuid().replace(/-/g, '')}`,
      pgTimestamp(u.createdAt),
    ]),
    (n) => progress('users', n),
  );

  const posts: PostPlan[] = [];
  const postRows: unknown[][] = [];
  let longPosts = 0;
  for (const user of users) {
    for (let k = random.powerLaw(1.4, 60); k > 0; k--) {
      const post: PostPlan = {
        id: random.uuid(),
        createdAt: user.createdAt + random.int(300 * DAY_MICROS),
        comments: random.count(2),
      };
      posts.push(post);
      const long = longPosts < 3 && posts.length % 97 === 13;
      if (long) longPosts++;
      const content = long
        ? random.pick(PHRASES).repeat(Math.ceil(300_000 / 20))
        : `${random.pick(PHRASES)} #${posts.length}`;
      const allNull = random.chance(0.08);
      const someNull = !allNull && random.chance(0.05);
      postRows.push([
        post.id,
        `Post ${posts.length}: ${random.pick(PHRASES)}`,
        content,
        user.id,
        random.chance(0.04) ? `old_${user.username}` : user.username,
        pgTimestamp(post.createdAt),
        pgTimestamp(post.createdAt + random.int(5 * DAY_MICROS)),
        random.chance(0.05) ? post.comments + 1 + random.int(5) : post.comments,
        allNull || someNull ? null : Math.round(random.next() * 2000 - 1000) / 1000,
        allNull
          ? null
          : pgTextArray(random.chance(0.1) ? [] : [random.pick(COLORS), random.pick(COLORS)]),
        allNull ? null : random.pick(SENTIMENTS),
        allNull || random.chance(0.15)
          ? null
          : JSON.stringify({
              model: 'v2',
              scores: { joy: random.int(100) / 100, anger: random.int(100) / 100 },
              labels: [random.pick(SENTIMENTS)],
            }),
        random.chance(0.03) ? null : Math.round(random.next() * 10000) / 100,
        random.chance(0.02) ? null : random.chance(0.05),
        random.chance(0.1) ? null : pgTextArray(random.chance(0.7) ? [] : [random.pick(TAGS)]),
        random.chance(0.1)
          ? null
          : JSON.stringify({ toxic: random.int(1000) / 1000, insult: random.int(1000) / 1000 }),
      ]);
    }
  }
  await insertChunks(
    db,
    'posts',
    [
      'id::uuid',
      'title',
      'content',
      'author_id::uuid',
      'author_username',
      'created_at::timestamptz',
      'updated_at::timestamptz',
      'comment_count::int',
      'sentiment_score::float8',
      'sentiment_colors::text[]',
      'sentiment_type',
      'sentiment_analysis::jsonb',
      'popularity_score::float8',
      'is_blocked::boolean',
      'toxicity_tags::text[]',
      'toxicity_scores::jsonb',
    ],
    postRows,
    (n) => progress('posts', n),
  );
  postRows.length = 0;

  const targets: { id: string; type: 'post' | 'comment'; createdAt: number }[] = posts.map((p) => ({
    id: p.id,
    type: 'post',
    createdAt: p.createdAt,
  }));
  const commentRows: unknown[][] = [];
  let longComment = false;
  for (const post of posts) {
    const thread: {
      id: string;
      path: string;
      depth: number;
      children: number;
      createdAt: number;
    }[] = [];
    let roots = 0;
    for (let k = 0; k < post.comments; k++) {
      const parent = thread.length > 0 && random.chance(0.55) ? random.pick(thread) : undefined;
      const replyTo = parent && parent.depth < 10 ? parent : undefined;
      const ordinal = replyTo ? ++replyTo.children : ++roots;
      const segment = String(ordinal).padStart(4, '0');
      const comment = {
        id: random.uuid(),
        path: replyTo ? `${replyTo.path}.${segment}` : segment,
        depth: replyTo ? replyTo.depth + 1 : 0,
        children: 0,
        createdAt: (replyTo?.createdAt ?? post.createdAt) + 1 + random.int(2 * DAY_MICROS),
      };
      thread.push(comment);
      targets.push({ id: comment.id, type: 'comment', createdAt: comment.createdAt });
      const long = !longComment && commentRows.length === 50;
      if (long) longComment = true;
      const allNull = random.chance(0.1);
      commentRows.push([
        comment.id,
        post.id,
        long ? 'long reply 📜 '.repeat(8000) : `${random.pick(PHRASES)} (${k})`,
        random.chance(0.01) ? null : random.pick(users).id,
        replyTo?.id ?? null,
        comment.path,
        comment.depth,
        allNull ? null : Math.round(random.next() * 2000 - 1000) / 1000,
        allNull ? null : pgTextArray([random.pick(COLORS)]),
        allNull ? null : random.pick(SENTIMENTS),
        random.chance(0.02) ? null : random.chance(0.03),
        random.chance(0.1) ? null : pgTextArray(random.chance(0.8) ? [] : [random.pick(TAGS)]),
        random.chance(0.1) ? null : JSON.stringify({ toxic: random.int(1000) / 1000 }),
        pgTimestamp(comment.createdAt),
        pgTimestamp(comment.createdAt + random.int(DAY_MICROS)),
      ]);
    }
  }
  await insertChunks(
    db,
    'comments',
    [
      'id::uuid',
      'post_id::uuid',
      'content',
      'user_id::uuid',
      'parent_id::uuid',
      'path',
      'depth::int',
      'sentiment_score::float8',
      'sentiment_colors::text[]',
      'sentiment_type',
      'is_blocked::boolean',
      'toxicity_tags::text[]',
      'toxicity_scores::jsonb',
      'created_at::timestamptz',
      'updated_at::timestamptz',
    ],
    commentRows,
    (n) => progress('comments', n),
  );
  const commentCount = commentRows.length;
  commentRows.length = 0;

  const voteRows: unknown[][] = [];
  for (const target of targets) {
    const voters = new Set<string>();
    for (let k = random.count(2.5); k > 0; k--) voters.add(random.pick(users).id);
    for (const voter of voters) {
      const orphan = random.chance(0.01);
      voteRows.push([
        random.uuid(),
        voter,
        orphan ? random.uuid() : target.id,
        target.type,
        random.pick(VOTE_TYPES),
        pgTimestamp(target.createdAt + 1 + random.int(10 * DAY_MICROS)),
      ]);
    }
  }
  await insertChunks(
    db,
    'votes',
    [
      'id::uuid',
      'user_id::uuid',
      'target_id::uuid',
      'target_type',
      'vote_type',
      'created_at::timestamptz',
    ],
    voteRows,
    (n) => progress('votes', n),
  );

  const summary = {
    users: users.length,
    posts: posts.length,
    comments: commentCount,
    votes: voteRows.length,
    total: 0,
  };
  summary.total = summary.users + summary.posts + summary.comments + summary.votes;
  return summary;
}

async function refuseNonEmpty(db: Queryable): Promise<void> {
  for (const table of SOURCE_TABLES) {
    const { rows } = await db.query(`SELECT EXISTS (SELECT 1 FROM ${table}) AS filled`);
    if (rows[0]?.filled)
      throw new Error(`seed: table ${table} already has rows; pass --append to add to them`);
  }
}
