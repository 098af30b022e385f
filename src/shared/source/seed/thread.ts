import { chance, intBelow, Rng } from './random';
import { SHAPE } from './shape';
import { DAY, HOUR, later, Micros } from './time';

export interface ThreadedComment {
  local: number;
  parent: ThreadedComment | undefined;
  /** Dot-joined, zero-padded ordinals among siblings, from the top: `0001.0003.0002`. */
  path: string;
  depth: number;
  createdAt: Micros;
  childCount: number;
}

const ordinal = (n: number) => String(n).padStart(4, '0');

/** The comment tree of one post: each new comment answers the post or an earlier comment. */
export class PostThread {
  private readonly comments: ThreadedComment[] = [];
  private topLevelCount = 0;
  /** Some posts turn into one long back-and-forth, which is where the deepest threads come from. */
  private readonly everyoneRepliesToLatest: boolean;

  constructor(
    private readonly rng: Rng,
    private readonly postCreatedAt: Micros,
    commentCount: number,
  ) {
    this.everyoneRepliesToLatest =
      commentCount >= SHAPE.deepThreadMinComments && chance(rng, SHAPE.deepThreadShare);
  }

  add(local: number): ThreadedComment {
    const parent = this.chooseParent();
    const siblingOrdinal = parent ? ++parent.childCount : ++this.topLevelCount;
    const comment: ThreadedComment = {
      local,
      parent,
      path: parent ? `${parent.path}.${ordinal(siblingOrdinal)}` : ordinal(siblingOrdinal),
      depth: parent ? parent.depth + 1 : 0,
      // Replies come quickly after what they answer; first comments within a day or so.
      createdAt: parent
        ? later(this.rng, parent.createdAt, 6 * HOUR, 30 * DAY)
        : later(this.rng, this.postCreatedAt, DAY, 30 * DAY),
      childCount: 0,
    };
    this.comments.push(comment);
    return comment;
  }

  private chooseParent(): ThreadedComment | undefined {
    const earlier = this.comments.length;
    if (earlier === 0) return undefined;
    const replies = this.everyoneRepliesToLatest || chance(this.rng, SHAPE.replyShare);
    if (!replies) return undefined;
    const toLatest = this.everyoneRepliesToLatest || chance(this.rng, SHAPE.replyToLatestShare);
    let parent: ThreadedComment | undefined =
      this.comments[toLatest ? earlier - 1 : intBelow(this.rng, earlier)];
    // At the depth limit the app attaches the reply one level up, as a sibling.
    while (parent && parent.depth >= SHAPE.maxDepth) parent = parent.parent;
    return parent;
  }
}
