import { SeedContext, writerFor } from './context';
import { formerUsername } from './names';
import { chance, entityId, heavyTailCount, intBelow, rngFor, Rng, Stream } from './random';
import { MESS, SHAPE } from './shape';
import { longText, sentences, title } from './text';
import { DAY, isoMicros, later, Micros } from './time';
import { SeededUsers, userIdentity } from './users';
import { moderation, popularityScore, sentiment } from './values';

/** What comments and votes need of the posts. */
export interface SeededPosts {
  count: number;
  createdAt: Float64Array;
  /** Comments each post will get: decided here so `comment_count` can be right (or stale). */
  commentCounts: Uint16Array;
}

const COLUMNS = [
  ['id', 'uuid'],
  ['title', 'text'],
  ['content', 'text'],
  ['author_id', 'uuid'],
  ['author_username', 'text'],
  ['created_at', 'timestamptz'],
  ['updated_at', 'timestamptz'],
  ['comment_count', 'int4'],
  ['sentiment_score', 'float8'],
  ['sentiment_colors', 'text[]'],
  ['sentiment_type', 'text'],
  ['sentiment_analysis', 'jsonb'],
  ['popularity_score', 'float8'],
  ['is_blocked', 'bool'],
  ['toxicity_tags', 'text[]'],
  ['toxicity_scores', 'jsonb'],
] as const;

export function postId(context: SeedContext, local: number): string {
  return entityId(context.seed, Stream.post, context.offsets.posts + local);
}

/** Spread over the table so every keyset range of a large run can meet one. */
function hugePostIndexes(total: number): Set<number> {
  const indexes = new Set<number>();
  for (let k = 1; k <= SHAPE.hugePostCount; k++)
    indexes.add(Math.floor((k * total) / (SHAPE.hugePostCount + 1)));
  return total > 0 ? indexes : new Set();
}

/** A count that is wrong, as after a failed trigger or a deleted comment. */
function staleCount(rng: Rng, actual: number): number {
  return actual > 0 && chance(rng, 0.4) ? 0 : actual + 1 + intBelow(rng, 9);
}

function content(rng: Rng, huge: boolean): string {
  if (!huge) return sentences(rng, 1 + intBelow(rng, 6));
  const span = SHAPE.hugePostMaxChars - SHAPE.hugePostMinChars;
  return longText(rng, SHAPE.hugePostMinChars + intBelow(rng, span));
}

export async function seedPosts(context: SeedContext, users: SeededUsers): Promise<SeededPosts> {
  const total = users.postCounts.reduce((sum, n) => sum + n, 0);
  const huge = hugePostIndexes(total);
  const writer = writerFor(context, 'posts', COLUMNS);
  const createdAt = new Float64Array(total);
  const commentCounts = new Uint16Array(total);
  let local = 0;
  for (let author = 0; author < users.count; author++) {
    const { id: authorId, username } = userIdentity(context, author);
    for (let k = 0; k < (users.postCounts[author] ?? 0); k++, local++) {
      const rng = rngFor(context.seed, Stream.post, context.offsets.posts + local);
      const created: Micros = later(rng, users.createdAt[author] ?? 0, 30 * DAY, 200 * DAY);
      const updated: Micros = chance(rng, 0.7) ? created : later(rng, created, 2 * DAY, 30 * DAY);
      const comments = heavyTailCount(rng, SHAPE.commentsPerPostScale, SHAPE.commentsPerPostCap);
      createdAt[local] = created;
      commentCounts[local] = comments;
      const feeling = sentiment(rng, true);
      const review = moderation(rng);
      await writer.add([
        postId(context, local),
        title(rng),
        content(rng, huge.has(local)),
        authorId,
        chance(rng, MESS.staleAuthorUsername) ? formerUsername(rng, username) : username,
        isoMicros(created),
        isoMicros(updated),
        chance(rng, MESS.staleCommentCount) ? staleCount(rng, comments) : comments,
        feeling.score,
        feeling.colors,
        feeling.type,
        feeling.analysis,
        popularityScore(rng),
        review.isBlocked,
        review.tags,
        review.scores,
      ]);
    }
  }
  await writer.flush();
  return { count: writer.inserted, createdAt, commentCounts };
}
