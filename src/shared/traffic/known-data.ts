import { Comment, Post, User, VoteTarget } from '../app-data/model';
import { Chooser } from './random';

export interface KnownUser {
  id: string;
  username: string;
  email?: string;
}

export interface KnownPost {
  id: string;
  authorId: string;
  /** Written by this run: the only posts it deletes. */
  own: boolean;
}

export interface KnownComment {
  id: string;
  postId: string;
  authorId: string;
  path: string;
  own: boolean;
}

export interface KnownVote {
  userId: string;
  target: VoteTarget;
  voteType: string;
}

/**
 * At most `cap` items, each at most once by key; a new item over the cap replaces a random
 * one, so memory stays bounded however long the traffic runs. Removal is O(1).
 */
export class BoundedSample<T> {
  private readonly items: T[] = [];
  private readonly index = new Map<string, number>();

  constructor(
    private readonly cap: number,
    private readonly keyOf: (item: T) => string,
    private readonly choose: Chooser,
  ) {}

  get size(): number {
    return this.items.length;
  }

  add(item: T): void {
    const key = this.keyOf(item);
    const at = this.index.get(key);
    if (at !== undefined) {
      this.items[at] = item;
      return;
    }
    if (this.items.length >= this.cap) this.removeAt(this.choose.below(this.items.length));
    this.index.set(key, this.items.length);
    this.items.push(item);
  }

  pick(): T | undefined {
    return this.choose.pick(this.items);
  }

  /** A random item that satisfies `test`, from at most `tries` draws, else the first found by scan. */
  pickWhere(test: (item: T) => boolean, tries = 8): T | undefined {
    for (let i = 0; i < tries; i++) {
      const item = this.pick();
      if (item !== undefined && test(item)) return item;
    }
    return this.items.find(test);
  }

  get(key: string): T | undefined {
    const at = this.index.get(key);
    return at === undefined ? undefined : this.items[at];
  }

  remove(key: string): void {
    const at = this.index.get(key);
    if (at !== undefined) this.removeAt(at);
  }

  removeWhere(test: (item: T) => boolean): void {
    for (let i = this.items.length - 1; i >= 0; i--) if (test(this.items[i]!)) this.removeAt(i);
  }

  private removeAt(at: number): void {
    const last = this.items.pop()!;
    this.index.delete(this.keyOf(this.items[at] ?? last));
    if (at < this.items.length) {
      this.items[at] = last;
      this.index.set(this.keyOf(last), at);
    }
  }
}

const CAPS = { users: 5_000, posts: 2_000, comments: 5_000, votes: 2_000 };

const voteKey = (vote: Pick<KnownVote, 'userId' | 'target'>) =>
  `${vote.userId}:${vote.target.targetType}:${vote.target.targetId}`;

/** What the traffic knows of the data: learned from its reads and its own writes, bounded. */
export class KnownData {
  readonly users: BoundedSample<KnownUser>;
  /** Who the traffic acts as (the router's Targeting cohorts are per user). */
  readonly actors: BoundedSample<KnownUser>;
  readonly posts: BoundedSample<KnownPost>;
  readonly comments: BoundedSample<KnownComment>;
  readonly votes: BoundedSample<KnownVote>;
  /** Where the next page of the global feed starts, once a first page was read. */
  feedContinuation: string | null = null;

  constructor(
    readonly maxActors: number,
    choose: Chooser,
  ) {
    this.users = new BoundedSample(CAPS.users, (u) => u.id, choose);
    this.actors = new BoundedSample(maxActors, (u) => u.id, choose);
    this.posts = new BoundedSample(CAPS.posts, (p) => p.id, choose);
    this.comments = new BoundedSample(CAPS.comments, (c) => c.id, choose);
    this.votes = new BoundedSample<KnownVote>(CAPS.votes, voteKey, choose);
  }

  learnUser(user: KnownUser): void {
    const known = this.users.get(user.id);
    const merged = { ...known, ...user, email: user.email ?? known?.email };
    this.users.add(merged);
    if (this.actors.get(user.id) || this.actors.size < this.maxActors) this.actors.add(merged);
  }

  learnPost(post: Post, own = false): void {
    this.learnUser({ id: post.authorId, username: post.authorUsername });
    this.posts.add({ id: post.id, authorId: post.authorId, own: own || this.isOwnPost(post.id) });
  }

  learnComment(comment: Comment, own = false): void {
    this.learnUser({ id: comment.authorId, username: comment.authorUsername });
    const known = this.comments.get(comment.id);
    this.comments.add({
      id: comment.id,
      postId: comment.postId,
      authorId: comment.authorId,
      path: comment.path,
      own: own || Boolean(known?.own),
    });
  }

  learnFullUser(user: User): void {
    this.learnUser({ id: user.id, username: user.username, email: user.email });
  }

  learnVote(vote: KnownVote): void {
    this.votes.add(vote);
  }

  forgetVote(vote: Pick<KnownVote, 'userId' | 'target'>): void {
    this.votes.remove(voteKey(vote));
  }

  forgetPost(id: string): void {
    this.posts.remove(id);
    this.comments.removeWhere((c) => c.postId === id);
    this.votes.removeWhere((v) => v.target.targetId === id || v.target.postId === id);
  }

  /** The comment and its replies (its subtree, by path), with their votes. */
  forgetComment(comment: Pick<KnownComment, 'id' | 'postId' | 'path'>): void {
    const gone = new Set<string>();
    this.comments.removeWhere((c) => {
      const inSubtree = c.postId === comment.postId && c.path.startsWith(comment.path);
      if (inSubtree || c.id === comment.id) gone.add(c.id);
      return inSubtree || c.id === comment.id;
    });
    this.votes.removeWhere((v) => v.target.targetType === 'comment' && gone.has(v.target.targetId));
  }

  private isOwnPost(id: string): boolean {
    return Boolean(this.posts.get(id)?.own);
  }
}
