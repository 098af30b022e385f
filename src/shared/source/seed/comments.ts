import { SeedContext, writerFor } from './context';
import { PostThread, ThreadedComment } from './thread';
import { chance, entityId, intBelow, rngFor, Rng, Stream } from './random';
import { SHAPE } from './shape';
import { longText, sentences } from './text';
import { DAY, HOUR, isoMicros, later } from './time';
import { SeededPosts, postId } from './posts';
import { SeededUsers, userId } from './users';
import { moderation, sentiment } from './values';

/** What votes need of the comments. */
export interface SeededComments {
  count: number;
  createdAt: Float64Array;
}

const COLUMNS = [
  ['id', 'uuid'],
  ['post_id', 'uuid'],
  ['content', 'text'],
  ['user_id', 'uuid'],
  ['parent_id', 'uuid'],
  ['path', 'text'],
  ['depth', 'int4'],
  ['sentiment_score', 'float8'],
  ['sentiment_colors', 'text[]'],
  ['sentiment_type', 'text'],
  ['is_blocked', 'bool'],
  ['toxicity_tags', 'text[]'],
  ['toxicity_scores', 'jsonb'],
  ['created_at', 'timestamptz'],
  ['updated_at', 'timestamptz'],
] as const;

export function commentId(context: SeedContext, local: number): string {
  return entityId(context.seed, Stream.comment, context.offsets.comments + local);
}

function content(rng: Rng, huge: boolean): string {
  return huge ? longText(rng, SHAPE.hugeCommentChars) : sentences(rng, 1 + intBelow(rng, 3));
}

function row(
  context: SeedContext,
  users: SeededUsers,
  post: string,
  node: ThreadedComment,
  huge: boolean,
) {
  const rng = rngFor(context.seed, Stream.comment, context.offsets.comments + node.local);
  const updated = chance(rng, 0.85)
    ? node.createdAt
    : later(rng, node.createdAt, 6 * HOUR, 10 * DAY);
  const feeling = sentiment(rng, false);
  const review = moderation(rng);
  return [
    node.id,
    post,
    content(rng, huge),
    userId(context, intBelow(rng, users.count)),
    node.parent ? node.parent.id : null,
    node.path,
    node.depth,
    feeling.score,
    feeling.colors,
    feeling.type,
    review.isBlocked,
    review.tags,
    review.scores,
    isoMicros(node.createdAt),
    isoMicros(updated),
  ];
}

/** Post by post, so only one post's thread is in memory at a time. */
export async function seedComments(
  context: SeedContext,
  users: SeededUsers,
  posts: SeededPosts,
): Promise<SeededComments> {
  const total = posts.commentCounts.reduce((sum, n) => sum + n, 0);
  const hugeComment = Math.floor(total / 2);
  const writer = writerFor(context, 'comments', COLUMNS);
  const createdAt = new Float64Array(total);
  let local = 0;
  for (let p = 0; p < posts.count; p++) {
    const threadRng = rngFor(context.seed, Stream.postThread, context.offsets.posts + p);
    const count = posts.commentCounts[p] ?? 0;
    const thread = new PostThread(threadRng, posts.createdAt[p] ?? 0, count);
    const post = postId(context, p);
    for (let k = 0; k < count; k++, local++) {
      const node = thread.add(local, commentId(context, local));
      createdAt[local] = node.createdAt;
      await writer.add(row(context, users, post, node, local === hugeComment));
    }
  }
  await writer.flush();
  return { count: writer.inserted, createdAt };
}
