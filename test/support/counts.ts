// What the counts tests share: deterministic randomness, documents as the feed would deliver
// them, an independent recount of every parent, and shuffled, duplicated deliveries.
import { ChangeFeedStartFrom, Container, CosmosClient, StatusCodes } from '@azure/cosmos';
import { CosmosCountsStore } from '../../src/shared/counts/cosmos-counts-store';
import { CosmosNamesStore } from '../../src/shared/counts/cosmos-names-store';
import { CountsStore } from '../../src/shared/counts/counts-store';
import { recountParentsOf } from '../../src/shared/counts/handle-batch';
import { parseChangedDocuments } from '../../src/shared/counts/inputs';
import { ChangedDocument } from '../../src/shared/counts/parents';
import { recountParents, RecountResult } from '../../src/shared/counts/recount-parents';
import { renameEmbedded } from '../../src/shared/counts/rename-embedded';

export type Doc = ChangedDocument & Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A deterministic pseudo-random sequence, so a failure can be replayed. */
export function rng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

export const withoutSystem = (document: Record<string, unknown>): Doc => {
  const { _rid, _self, _attachments, _etag, _ts, _lsn, ...rest } = document;
  void [_rid, _self, _attachments, _etag, _ts, _lsn];
  return rest as Doc;
};

/** Every post's and comment's counts, computed here from all stored documents (tombstones out). */
export async function independentRecount(containers: Record<string, Container>) {
  const all = async (name: string) =>
    (await containers[name]!.items.query<Doc>('SELECT * FROM c').fetchAll()).resources;
  const [posts, comments, votes] = await Promise.all([all('posts'), all('comments'), all('votes')]);
  const liveComments = comments.filter((c) => c.type === 'comment');
  const byTarget = new Map<string, Doc[]>();
  for (const vote of votes.filter((v) => v.type === 'vote')) {
    const key = `${vote.targetType}|${vote.targetId}`;
    byTarget.set(key, [...(byTarget.get(key) ?? []), vote]);
  }
  const byPost = new Map<string, Doc[]>();
  const children = new Map<string, number>();
  for (const comment of liveComments) {
    byPost.set(comment.postId, [...(byPost.get(comment.postId) ?? []), comment]);
    const parent = comment.threading.parentId as string | null;
    if (parent) children.set(parent, (children.get(parent) ?? 0) + 1);
  }
  const votesOn = (id: string, targetType: string) => {
    const mine = byTarget.get(`${targetType}|${id}`) ?? [];
    const voteCounts: Record<string, number> = {};
    for (const vote of mine) voteCounts[vote.voteType] = (voteCounts[vote.voteType] ?? 0) + 1;
    const newest =
      mine
        .map((v) => v.timestamps.createdAt as string)
        .sort()
        .at(-1) ?? null;
    return { voteCount: mine.length, voteCounts, newest };
  };
  const expected = new Map<string, Record<string, unknown>>();
  const actual = new Map<string, Record<string, unknown>>();
  for (const post of posts.filter((p) => p.type === 'post')) {
    const mine = byPost.get(post.id) ?? [];
    const v = votesOn(post.id, 'post');
    const candidates = [
      post.timestamps.updatedAt,
      v.newest,
      ...mine.map((c) => c.timestamps.createdAt),
    ].filter((t): t is string => typeof t === 'string');
    expected.set(`post|${post.id}`, {
      commentCount: mine.length,
      voteCount: v.voteCount,
      voteCounts: v.voteCounts,
      lastActivityAt: candidates.sort().at(-1) ?? null,
    });
    const { commentCount, voteCount, voteCounts, lastActivityAt } = post.engagement;
    actual.set(`post|${post.id}`, { commentCount, voteCount, voteCounts, lastActivityAt });
  }
  for (const comment of liveComments) {
    const v = votesOn(comment.id, 'comment');
    expected.set(`comment|${comment.id}`, {
      childCount: children.get(comment.id) ?? 0,
      voteCount: v.voteCount,
      voteCounts: v.voteCounts,
    });
    actual.set(`comment|${comment.id}`, {
      childCount: comment.threading.childCount,
      voteCount: comment.engagement.voteCount,
      voteCounts: comment.engagement.voteCounts,
    });
  }
  return { expected, actual };
}

/** Feeds the changes in batches of `size`, ~30 % duplicated and all shuffled, and keeps each result. */
export async function deliver(
  store: CountsStore,
  changes: readonly Doc[],
  random: () => number,
  size: number,
  { duplicates = 0.3, concurrency }: { duplicates?: number; concurrency?: number } = {},
): Promise<RecountResult[]> {
  const deliveries = [...changes, ...changes.filter(() => random() < duplicates)];
  for (let i = deliveries.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [deliveries[i], deliveries[j]] = [deliveries[j]!, deliveries[i]!];
  }
  const results: RecountResult[] = [];
  for (let i = 0; i < deliveries.length; i += size) {
    results.push(
      await recountParents({ store, concurrency }, deliveries.slice(i, i + size), 'test'),
    );
  }
  return results;
}

export const sum = (
  results: RecountResult[],
  key: 'writes' | 'writeRu' | 'recountRu' | 'parents',
) => results.reduce((total, result) => total + result[key], 0);

/**
 * The three change-feed functions of docs/counts.md, run on demand instead of on a trigger's
 * poll: `settle()` reads what the `users`, `comments` and `votes` feeds hold since its last call
 * (since the beginning at first) and hands each page to the handler the function runs
 * (`renameEmbedded`, `recountParentsOf`), until a round of the feeds brings nothing new (a
 * recount's write to a comment, a rename's to a comment or vote, comes back through its feed).
 * A handler's failure (a parent not recounted) fails the call. Returns the rounds that
 * brought changes.
 */
export function changeFeedFunctions(client: CosmosClient, database: string, maxRounds = 10) {
  const db = client.database(database);
  const counts = new CosmosCountsStore(client, database);
  const names = new CosmosNamesStore(client, database);
  const feed = (container: string) =>
    db.container(container).items.getChangeFeedIterator<Record<string, unknown>>({
      changeFeedStartFrom: ChangeFeedStartFrom.Beginning(),
      maxItemCount: 100,
    });
  const handlers: [ReturnType<typeof feed>, (page: unknown[]) => Promise<unknown>][] = [
    [feed('users'), (page) => renameEmbedded({ names }, parseChangedDocuments(page))],
    [feed('comments'), (page) => recountParentsOf({ counts }, page, 'counts-from-comments', log)],
    [feed('votes'), (page) => recountParentsOf({ counts }, page, 'counts-from-votes', log)],
  ];
  const lines: string[] = [];
  const log = {
    log: (line: string) => lines.push(line),
    error: (line: string) => lines.push(line),
  };
  return {
    /** What the counts handlers logged. */
    lines,
    async settle(): Promise<number> {
      for (let round = 0; round < maxRounds; round++) {
        let changes = 0;
        for (const [iterator, handle] of handlers) {
          for (let pages = 0; ; pages++) {
            if (pages >= 1_000) throw new Error('a change feed did not catch up in 1,000 pages');
            const page = await iterator.readNext();
            if (page.statusCode === StatusCodes.NotModified || page.result.length === 0) break;
            changes += page.result.length;
            await handle(page.result);
          }
        }
        if (changes === 0) return round;
      }
      throw new Error(`the change feeds still brought changes after ${maxRounds} rounds`);
    },
  };
}
