// The application writing into Cosmos, as it does from the dual-write stage on: comments and
// votes (new, flipped, edited, deleted with a tombstone) on existing posts, at a steady rate,
// while bench/counts-run.ts runs the counts' change-feed functions in a process of its own.
import { randomUUID } from 'node:crypto';
import { ChildProcess, fork } from 'node:child_process';
import path from 'node:path';
import { Container, CosmosClient } from '@azure/cosmos';
import { tombstoneFor } from '../src/shared/sync/tombstones';
import type { CountsFollowResult, Deliveries } from './counts-run';

/** Shares of the writes (each one request, as the application makes it); the rest deletes comments. */
const MIX = {
  voteInsert: 0.35,
  voteFlip: 0.15,
  voteDelete: 0.1,
  commentInsert: 0.25,
  commentEdit: 0.1,
} as const;
const CUT = (() => {
  let sum = 0;
  return Object.fromEntries(
    Object.entries(MIX).map(([name, share]) => [name, (sum += share)]),
  ) as Record<keyof typeof MIX, number>;
})();
const VOTE_TYPES = ['like', 'like', 'like', 'love', 'laugh', 'wow', 'sad', 'angry'];
const POSTS = 2_000;

export interface CountsFigures extends Omit<CountsFollowResult, 'deliveries'> {
  writesPerSec: number;
  seconds: number;
  writes: number;
  /** Writes whose lag is known (all of them, unless the phase failed). */
  lagged: number;
  /** A write until the invocation that saw it (or a later version of its document) finished. */
  lagP50Ms: number;
  lagP95Ms: number;
  lagMaxMs: number;
}

interface Doc extends Record<string, unknown> {
  id: string;
  pk: string;
}

/**
 * `writesPerSec` child writes for `seconds`, in ticks of `tickMs`, into `database`, with the
 * functions running in a child process given `env`; resolves with the child's figures.
 */
export async function countsPhase(
  client: CosmosClient,
  database: string,
  env: Record<string, string>,
  { writesPerSec, seconds, tickMs }: { writesPerSec: number; seconds: number; tickMs: number },
): Promise<CountsFigures> {
  const db = client.database(database);
  const comments = db.container('comments');
  const votes = db.container('votes');
  const { resources: posts } = await db
    .container('posts')
    .items.query<Doc>(`SELECT TOP ${POSTS} c.id, c.pk FROM c WHERE c.type = 'post'`)
    .fetchAll();
  if (posts.length === 0) throw new Error(`no posts in ${database}`);

  const child = fork(path.join(__dirname, 'counts-run.ts'), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, ...env },
  });
  const messages = messageQueue(child);
  await messages.next();
  const result = messages.next() as Promise<CountsFollowResult>;
  result.catch(() => undefined);

  let random = 7;
  const next = () => (random = (random * 1664525 + 1013904223) >>> 0) / 2 ** 32;
  const pick = <T>(items: T[]) => items[Math.floor(next() * items.length)]!;
  const myVotes: Doc[] = [];
  const myComments: Doc[] = [];
  let clock = 0;
  const stamp = () => new Date(Date.UTC(2032, 0, 1) + ++clock).toISOString().replace('Z', '000Z');
  // A document is changed at most once per tick: two requests on one document in flight
  // together (a flip racing its own delete) would leave what no application would.
  let touched = new Set<string>();
  const untouched = (documents: Doc[]) => {
    for (let tries = 0; tries < 5 && documents.length > 0; tries++) {
      const index = Math.floor(next() * documents.length);
      const document = documents[index]!;
      if (!touched.has(document.id)) {
        touched.add(document.id);
        return { document, index };
      }
    }
    return undefined;
  };
  // Every write (document id, benchWrittenAt), each document's last one, and the tombstone
  // that carries a deleted document's last change.
  const writes: [string, number][] = [];
  const latest = new Map<string, number>();
  const tombstoneOf = new Map<string, string>();
  const written = (id: string, at: number) => {
    writes.push([id, at]);
    latest.set(id, at);
  };
  const deleted = (id: string, tombstoneId: string, at: number) => {
    writes.push([id, at]);
    latest.delete(id);
    latest.set(tombstoneId, at);
    tombstoneOf.set(id, tombstoneId);
  };
  const write = async () => {
    const r = next();
    const benchWrittenAt = Date.now();
    if (r >= CUT.voteInsert && r < CUT.voteDelete) {
      const found = untouched(myVotes);
      if (found && r < CUT.voteFlip) {
        Object.assign(found.document, { voteType: pick(VOTE_TYPES), benchWrittenAt });
        await votes.items.upsert(found.document);
        written(found.document.id, benchWrittenAt);
        return;
      }
      if (found) {
        myVotes.splice(found.index, 1);
        await remove(votes, found.document, benchWrittenAt, deleted);
        return;
      }
    }
    if (r >= CUT.commentInsert) {
      const found = untouched(myComments);
      if (found && r < CUT.commentEdit) {
        Object.assign(found.document, { content: `edited ${clock}`, benchWrittenAt });
        await comments.items.upsert(found.document);
        written(found.document.id, benchWrittenAt);
        return;
      }
      if (found) {
        myComments.splice(found.index, 1);
        await remove(comments, found.document, benchWrittenAt, deleted);
        return;
      }
    }
    const post = pick(posts);
    if (r < CUT.voteDelete) {
      const user = randomUUID();
      const vote: Doc = {
        id: `vote_${user}_${post.id}_post`,
        pk: `target:${post.id}`,
        type: 'vote',
        sourceId: randomUUID(),
        userId: user,
        targetId: post.id,
        targetType: 'post',
        voteType: pick(VOTE_TYPES),
        targetPk: post.pk,
        user: { username: 'bench', displayName: 'bench' },
        timestamps: { createdAt: stamp() },
        benchWrittenAt,
      };
      touched.add(vote.id);
      await votes.items.create(vote);
      written(vote.id, benchWrittenAt);
      myVotes.push(vote);
      return;
    }
    const id = randomUUID();
    const createdAt = stamp();
    const comment: Doc = {
      id,
      pk: `post:${post.id}`,
      type: 'comment',
      postId: post.id,
      postPk: post.pk,
      content: 'a comment from the bench',
      author: { id: randomUUID(), username: 'bench', displayName: 'bench' },
      threading: { parentId: null, path: `/${id}`, depth: 0, childCount: 0 },
      engagement: { voteCount: 0, voteCounts: {} },
      sentiment: null,
      moderation: { isBlocked: false, toxicityTags: [], scores: null },
      timestamps: { createdAt, updatedAt: createdAt },
      benchWrittenAt,
    };
    touched.add(id);
    await comments.items.create(comment);
    written(id, benchWrittenAt);
    myComments.push(comment);
  };

  const started = performance.now();
  let made = 0;
  const ticks = (seconds * 1000) / tickMs;
  for (let tick = 1; tick <= ticks; tick++) {
    await sleep(started + tick * tickMs - performance.now());
    touched = new Set();
    const due = Math.round((writesPerSec * tick * tickMs) / 1000);
    const batch = due - made;
    await Promise.all(Array.from({ length: batch }, write));
    made += batch;
  }
  const elapsed = (performance.now() - started) / 1000;
  child.send({ latest: [...latest] });
  const { deliveries, ...figures } = await result;
  const lags = writeLags(writes, deliveries, tombstoneOf).sort((a, b) => a - b);
  return {
    ...figures,
    writesPerSec: made / elapsed,
    seconds: elapsed,
    writes: made,
    lagged: lags.length,
    lagP50Ms: percentile(lags, 0.5),
    lagP95Ms: percentile(lags, 0.95),
    lagMaxMs: lags.at(-1) ?? 0,
  };
}

/**
 * Each write's lag: until the first finished invocation that saw its version or a later one of
 * its document, or, for a document deleted before the feed showed it, the delete's tombstone.
 */
function writeLags(
  writes: [string, number][],
  deliveries: Deliveries,
  tombstoneOf: Map<string, string>,
): number[] {
  const firstSeen = (id: string | undefined, at: number) => {
    let first: number | undefined;
    for (const [version, finished] of (id && deliveries[id]) || [])
      if (version >= at && (first === undefined || finished < first)) first = finished;
    return first;
  };
  const lags: number[] = [];
  for (const [id, at] of writes) {
    const finished = firstSeen(id, at) ?? firstSeen(tombstoneOf.get(id), at);
    if (finished !== undefined) lags.push(finished - at);
  }
  return lags;
}

const percentile = (sorted: number[], q: number) =>
  sorted.length === 0 ? 0 : sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!;

/** As the application deletes: the document and its tombstone in one transactional batch. */
async function remove(
  container: Container,
  document: Doc,
  benchWrittenAt: number,
  deleted: (id: string, tombstoneId: string, at: number) => void,
) {
  const tombstone = { ...tombstoneFor(document as never, 3600)!, benchWrittenAt };
  const response = await container.items.batch(
    [
      { operationType: 'Delete', id: document.id },
      { operationType: 'Upsert', resourceBody: tombstone as never },
    ],
    document.pk,
  );
  if ((response.code ?? 200) >= 400) throw new Error(`deleting ${document.id}: ${response.code}`);
  deleted(document.id, tombstone.id, benchWrittenAt);
}

function messageQueue(child: ChildProcess) {
  const waiting: { resolve: (m: unknown) => void; reject: (e: Error) => void }[] = [];
  const arrived: unknown[] = [];
  child.on('message', (message) => {
    const waiter = waiting.shift();
    if (waiter) waiter.resolve(message);
    else arrived.push(message);
  });
  child.on('exit', (code) => {
    for (const waiter of waiting.splice(0))
      waiter.reject(new Error(`counts-run.ts exited with ${code}`));
  });
  return {
    next: () =>
      arrived.length > 0
        ? Promise.resolve(arrived.shift())
        : new Promise((resolve, reject) => waiting.push({ resolve, reject })),
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
