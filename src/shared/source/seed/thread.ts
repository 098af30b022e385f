import { chance, intBelow, Rng } from './random';
import { SHAPE } from './shape';
import { DAY, HOUR, later, Micros } from './time';

export interface ThreadedComment {
  local: number;
  /** The comment's id, a lowercase canonical uuid. */
  id: string;
  parent: ThreadedComment | undefined;
  /**
   * The ids from the root comment down to this one, each followed by `/`, as the app stores it:
   * `<root id>/` for a root, the parent's path plus `<id>/` for a reply.
   */
  path: string;
  depth: number;
  createdAt: Micros;
}

/** The comment tree of one post: each new comment answers the post or an earlier comment. */
export class PostThread {
  private readonly comments: ThreadedComment[] = [];
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

  add(local: number, id: string): ThreadedComment {
    const parent = this.chooseParent();
    const comment: ThreadedComment = {
      local,
      id,
      parent,
      path: `${parent ? parent.path : ''}${id}/`,
      depth: parent ? parent.depth + 1 : 0,
      // Replies come quickly after what they answer; first comments within a day or so.
      createdAt: parent
        ? later(this.rng, parent.createdAt, 6 * HOUR, 30 * DAY)
        : later(this.rng, this.postCreatedAt, DAY, 30 * DAY),
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
