import { commentId, SeededComments } from './comments';
import { SeedContext, writerFor } from './context';
import { postId, SeededPosts } from './posts';
import { chance, entityId, heavyTailCount, intBelow, pick, rngFor, Rng, Stream } from './random';
import { MESS, SHAPE } from './shape';
import { DAY, isoMicros, later, Micros } from './time';
import { SeededUsers, userId } from './users';

const COLUMNS = [
  ['id', 'uuid'],
  ['user_id', 'uuid'],
  ['target_id', 'uuid'],
  ['target_type', 'text'],
  ['vote_type', 'text'],
  ['created_at', 'timestamptz'],
] as const;

/** Weighted like a real app: most reactions are likes. */
const VOTE_TYPES = [
  ...Array<string>(10).fill('like'),
  ...Array<string>(4).fill('love'),
  ...Array<string>(2).fill('laugh'),
  'wow',
  'wow',
  'sad',
  'angry',
];

interface Target {
  id: string;
  type: 'post' | 'comment';
  createdAt: Micros;
  rng: Rng;
  scale: number;
}

/** Distinct voters per target, which is what UNIQUE(user_id, target_id, target_type) asks. */
function voters(rng: Rng, userCount: number, wanted: number): number[] {
  // Half the users at most, so drawing distinct ones stays quick.
  const count = Math.min(wanted, userCount <= 2 ? userCount : Math.floor(userCount / 2));
  const chosen = new Set<number>();
  while (chosen.size < count) chosen.add(intBelow(rng, userCount));
  return [...chosen];
}

export async function seedVotes(
  context: SeedContext,
  users: SeededUsers,
  posts: SeededPosts,
  comments: SeededComments,
): Promise<number> {
  const writer = writerFor(context, 'votes', COLUMNS);
  let local = 0;
  const voteOn = async (target: Target) => {
    const wanted = heavyTailCount(target.rng, target.scale, SHAPE.votesPerTargetCap);
    for (const voter of voters(target.rng, users.count, wanted)) {
      const index = context.offsets.votes + local++;
      // An orphan points at a target that was deleted without its votes (there is no FK).
      const orphan = chance(target.rng, MESS.orphanVote);
      await writer.add([
        entityId(context.seed, Stream.vote, index),
        userId(context, voter),
        orphan ? entityId(context.seed, Stream.orphanTarget, index) : target.id,
        orphan ? pick(target.rng, ['post', 'comment']) : target.type,
        pick(target.rng, VOTE_TYPES),
        isoMicros(later(target.rng, target.createdAt, 2 * DAY, 60 * DAY)),
      ]);
    }
  };
  for (let p = 0; p < posts.count; p++) {
    await voteOn({
      id: postId(context, p),
      type: 'post',
      createdAt: posts.createdAt[p] ?? 0,
      rng: rngFor(context.seed, Stream.postVotes, context.offsets.posts + p),
      scale: SHAPE.votesPerPostScale,
    });
  }
  for (let c = 0; c < comments.count; c++) {
    await voteOn({
      id: commentId(context, c),
      type: 'comment',
      createdAt: comments.createdAt[c] ?? 0,
      rng: rngFor(context.seed, Stream.commentVotes, context.offsets.comments + c),
      scale: SHAPE.votesPerCommentScale,
    });
  }
  await writer.flush();
  return writer.inserted;
}
