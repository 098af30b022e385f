import { Queryable } from '../../../src/shared/source/queryable';
import { CosmosClient } from '@azure/cosmos';
import { parseConfig } from '../../../src/shared/config/config';
import { createPreflightDeps, PreflightRuntime } from '../../../src/shared/preflight/deps';
import { ReachabilityProbe } from '../../../src/shared/preflight/ports';
import { notConfigured } from '../../../src/shared/preflight/probes';

/** Readable fixed ids: users a…, posts b…, comments c…, votes d…, missing targets e…. */
export const id = (kind: 'a' | 'b' | 'c' | 'd' | 'e', n: number) =>
  `${kind}0000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const [U, P, C, V, E] = [
  (n: number) => id('a', n),
  (n: number) => id('b', n),
  (n: number) => id('c', n),
  (n: number) => id('d', n),
  (n: number) => id('e', n),
];

export const quietProbes = (): ReachabilityProbe[] => [
  notConfigured('serviceBus', 'Service Bus reachable', 'not configured'),
];

export function preflightRuntime(
  settings: Record<string, string>,
  cosmos: CosmosClient,
  probes: ReachabilityProbe[] = quietProbes(),
): PreflightRuntime {
  return createPreflightDeps(parseConfig(settings), cosmos, probes);
}

const insertSql = (table: string, values: Record<string, string>) =>
  `INSERT INTO ${table} (${Object.keys(values).join(', ')}) VALUES (${Object.values(values).join(', ')});`;

const post = (
  n: number,
  author: number | null,
  commentCount: number | null,
  extra: Partial<Record<string, string>> = {},
) => {
  const authorId = author === null ? 'NULL' : `'${U(author)}'`;
  const values: Record<string, string> = {
    id: `'${P(n)}'`,
    title: `'post ${n}'`,
    content: `'content ${n}'`,
    author_id: authorId,
    author_username:
      author === null ? `'ghost'` : `(SELECT username FROM users WHERE id = ${authorId})`,
    created_at: `'2025-01-0${1 + (n % 9)} 10:00:00.123456+00'`,
    updated_at: `'2025-02-01 10:00:00+00'`,
    comment_count: commentCount === null ? 'NULL' : String(commentCount),
    sentiment_score: '0.25',
    sentiment_analysis: `'{"model": "v2", "scores": {"joy": 0.8}}'`,
    popularity_score: '1.5',
    toxicity_scores: `'{"toxic": 0.01}'`,
    ...extra,
  };
  return insertSql('posts', values);
};

/** A thread path as the source stores it: the ids from the root down, each followed by `/`. */
const threadPath = (...comments: number[]) => comments.map((n) => `${C(n)}/`).join('');

const comment = (
  n: number,
  postN: number | null,
  parent: number | null,
  path: string,
  depth: number,
  extra: Partial<Record<string, string>> = {},
) => {
  const values: Record<string, string> = {
    id: `'${C(n)}'`,
    post_id: postN === null ? 'NULL' : `'${P(postN)}'`,
    content: `'comment ${n}'`,
    user_id: `'${U(2)}'`,
    parent_id: parent === null ? 'NULL' : `'${C(parent)}'`,
    path: `'${path}'`,
    depth: String(depth),
    created_at: `'2025-03-01 10:00:00+00'`,
    updated_at: `'2025-03-01 10:00:00+00'`,
    ...extra,
  };
  return insertSql('comments', values);
};

const vote = (
  n: number,
  user: number | null,
  target: string,
  targetType: string,
  createdAt = `'2025-04-01 10:00:00+00'`,
) =>
  `INSERT INTO votes VALUES ('${V(n)}', ${user === null ? 'NULL' : `'${U(user)}'`}, '${target}', ${targetType}, 'like', ${createdAt});`;

/** A small source with none of the problems preflight looks for. */
export async function plantCleanRows(db: Queryable): Promise<void> {
  await db.query(`
    INSERT INTO users VALUES
      ('${U(1)}', 'alice_1', 'alice.1@example.com', 'h1', '2025-01-01 00:00:00+00'),
      ('${U(2)}', 'bob_2', 'bob.2@example.com', 'h2', '2025-01-01 00:00:00+00'),
      ('${U(3)}', 'carolé_3', 'carol.3@example.com', 'h3', NULL);
    ${post(1, 1, 2)}
    ${post(2, 2, 1, { sentiment_score: 'NULL', sentiment_analysis: 'NULL', toxicity_scores: 'NULL', popularity_score: 'NULL' })}
    ${comment(1, 1, null, threadPath(1), 0)}
    ${comment(2, 1, 1, threadPath(1, 2), 1)}
    ${comment(3, 2, null, threadPath(3), 0, { toxicity_scores: `'{"a": 9007199254740992, "b": 0.1234567890123456, "c": 1e300, "d": 1.50, "e": 0.00000000000000000001}'` })}
    ${vote(1, 1, P(1), `'post'`)}
    ${vote(2, 2, C(1), `'comment'`)}
    ${vote(3, 3, P(1), `'post'`, `'2025-04-02 00:00:00+00'`)}
  `);
}

/**
 * Every problem preflight reports, an exact known number of times, each in rows of their own
 * (so the transform's row errors can be compared one to one), plus decoys just inside the rules.
 */
export async function plantProblems(db: Queryable): Promise<void> {
  await db.query(`
    INSERT INTO users VALUES
      ('${U(1)}', 'alice_1', 'alice.1@example.com', 'h', '2025-01-01 00:00:00+00'),
      ('${U(2)}', 'bob_2', 'bob.2@example.com', 'h', '2025-01-01 00:00:00+00'),
      ('${U(3)}', 'carolé_3', 'carol.3@example.com', 'h', '2025-01-01 00:00:00+00'),
      -- idNeedsEncoding x2
      ('${U(4)}', 'dave/evil_4', 'dave.4@example.com', 'h', '2025-01-01 00:00:00+00'),
      ('${U(5)}', 'erin_5', 'erin?5#x@example.com', 'h', '2025-01-01 00:00:00+00'),
      -- idTooLong x1: "username:" + 169 x 6 (é is %C3%A9) + 1 = 1,024 bytes; the decoy makes
      -- exactly 1,023 twice: "username:" + 112 x 9 (日) + 6, "email:" + 84 x 12 (😀) + 9
      ('${U(6)}', repeat('é', 169) || 'x', 'f.6@example.com', 'h', '2025-01-01 00:00:00+00'),
      ('${U(7)}', repeat('日', 112) || 'abcdef', repeat('😀', 84) || 'zzzzzzzzz', 'h', '2025-01-01 00:00:00+00'),
      -- invalidTimestamp x1
      ('${U(8)}', 'heidi_8', 'h.8@example.com', 'h', 'infinity');

    ${post(1, 1, 7)}
    ${post(2, 2, 5)}
    -- staleCommentCount x2 (NULL is stale too: the post has no comments)
    ${post(3, 1, 5)}
    ${post(4, 2, null)}
    -- invalidTimestamp through lastActivityAt: its only comment is from "infinity"
    ${post(5, 3, 1)}
    -- staleAuthorUsername x3
    ${post(6, 1, 0, { author_username: `'alice_old'` })}
    ${post(7, 2, 0, { author_username: `'bob_old'` })}
    ${post(8, 3, 0, { author_username: `'carol_old'` })}
    -- missingKey x1
    ${post(9, null, 0)}
    -- nonFiniteNumber x2
    ${post(10, 1, 0, { sentiment_score: `'NaN'` })}
    ${post(11, 2, 0, { popularity_score: `'-Infinity'` })}
    -- unrepresentableJsonNumber x2, and a decoy (2^53 and short numbers survive a double)
    ${post(12, 1, 0, { sentiment_analysis: `'{"x": 0.10000000000000001}'` })}
    ${post(13, 2, 0, { toxicity_scores: `'{"t": 1e400}'` })}
    ${post(14, 1, 0, { sentiment_analysis: `'{"big": 9007199254740992, "n": [1, 2.5, -0.75]}'` })}
    -- invalidTimestamp x1 of its own (with post 5: x2)
    ${post(15, 3, 0, { updated_at: `'10000-01-01 00:00:00+00'` })}
    -- documentTooLarge x2: plain text over the limit, and quotes whose escaping takes it over;
    -- the decoy is a candidate by size but stays under the limit
    ${post(16, 1, 0, { content: `repeat('a', 2200000)` })}
    ${post(17, 2, 0, { content: `repeat('"', 1100000)` })}
    ${post(18, 3, 0, { content: `repeat('b', 2050000)` })}

    ${comment(1, 1, null, threadPath(1), 0)}
    ${comment(2, 1, 1, threadPath(1, 2), 1)}
    ${comment(14, 1, 2, threadPath(1, 2, 14), 2)}
    -- replyOnOtherPost x1 (path and depth agree with the parent)
    ${comment(3, 2, 1, threadPath(1, 3), 1)}
    -- threadPathMismatch x5: a root at depth 1; depth 2 under a depth-0 parent; a path not
    -- under the parent's; an ordinal path in the dotted form; a root without its trailing /
    ${comment(4, 2, null, threadPath(4), 1)}
    ${comment(5, 1, 1, threadPath(1, 5), 2)}
    ${comment(6, 1, 1, threadPath(3, 6), 1)}
    ${comment(12, 1, 1, '0001.0003', 1)}
    ${comment(13, 1, null, C(13), 0)}
    -- missingKey x1
    ${comment(7, null, null, threadPath(7), 0)}
    -- nonFiniteNumber x1
    ${comment(8, 2, null, threadPath(8), 0, { sentiment_score: `'Infinity'` })}
    -- unrepresentableJsonNumber x1 (underflows to 0), and a decoy of numbers that survive
    ${comment(9, 2, null, threadPath(9), 0, { toxicity_scores: `'[1e-400]'` })}
    ${comment(11, 2, null, threadPath(11), 0, { toxicity_scores: `'{"a": 9007199254740992, "b": 0.1234567890123456, "c": 1e300, "d": 1.50, "e": 0.00000000000000000001}'` })}
    -- invalidTimestamp x1 (and post 5's last activity)
    ${comment(10, 5, null, threadPath(10), 0, { created_at: `'infinity'` })}

    ${vote(1, 1, P(1), `'post'`)}
    ${vote(2, 2, C(1), `'comment'`)}
    -- invalidTimestamp x1; BC is older than post 1's updated_at, so post 1 stays valid
    ${vote(3, 3, P(1), `'post'`, `'0001-06-01 00:00:00+00 BC'`)}
    -- orphanVotes: missing post x2, missing comment x1, a post without author x1 ...
    ${vote(4, 1, E(1), `'post'`)}
    ${vote(5, 1, E(2), `'post'`)}
    ${vote(6, 1, E(3), `'comment'`)}
    ${vote(7, 1, P(9), `'post'`)}
    -- ... and unknown target types x3: idNeedsEncoding x1, idTooLong x1 ("vote_<uuid>_<uuid>_"
    -- is 79 bytes, 157 x 6 (é) + 3 makes 1,024), a decoy of exactly 1,023
    ${vote(8, 1, P(1), `'post#x'`)}
    ${vote(9, 1, P(1), `repeat('é', 157) || 'xxx'`)}
    ${vote(11, 2, P(1), `repeat('é', 157) || 'xx'`)}
    -- missingKey x1 (its target exists)
    ${vote(10, null, P(1), `'post'`)}
  `);
}

/** What plantProblems plants: [entity, code, count]. */
export const PLANTED: [string, string, number][] = [
  ['posts', 'staleCommentCount', 2],
  ['posts', 'staleAuthorUsername', 3],
  ['votes', 'orphanVotes', 7],
  ['comments', 'replyOnOtherPost', 1],
  ['comments', 'threadPathMismatch', 5],
  ['posts', 'missingKey', 1],
  ['comments', 'missingKey', 1],
  ['votes', 'missingKey', 1],
  ['posts', 'nonFiniteNumber', 2],
  ['comments', 'nonFiniteNumber', 1],
  ['posts', 'unrepresentableJsonNumber', 2],
  ['comments', 'unrepresentableJsonNumber', 1],
  ['users', 'invalidTimestamp', 1],
  ['posts', 'invalidTimestamp', 2],
  ['comments', 'invalidTimestamp', 1],
  ['votes', 'invalidTimestamp', 1],
  ['users', 'idTooLong', 1],
  ['votes', 'idTooLong', 1],
  ['users', 'idNeedsEncoding', 2],
  ['votes', 'idNeedsEncoding', 1],
  ['posts', 'documentTooLarge', 2],
];

export const ids = { U, P, C, V, E };
