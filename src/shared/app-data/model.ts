/**
 * The Social Pulse application's data, as its repository returns it from either store. Both
 * stores return exactly these shapes for the same data (a test runs each operation on both),
 * so a router can serve a read from one and compare it with the other.
 */

/** Timestamps: UTC, fixed width, microseconds (`2025-09-22T10:00:00.123456Z`), as stored in Cosmos. */
export type Timestamp = string;

export interface User {
  id: string;
  username: string;
  email: string;
  createdAt: Timestamp | null;
}

/** What a login checks: never returned by anything else. */
export interface Credentials {
  userId: string;
  passwordHash: string;
}

export interface Post {
  id: string;
  authorId: string;
  authorUsername: string;
  title: string;
  content: string;
  commentCount: number;
  voteCount: number;
  /** Votes per type, keys sorted; `{}` when there are none. */
  voteCounts: Record<string, number>;
  createdAt: Timestamp | null;
  updatedAt: Timestamp | null;
}

export interface Comment {
  id: string;
  postId: string;
  authorId: string;
  authorUsername: string;
  parentId: string | null;
  /** The thread's materialized path: the ids from the root down to this one, each followed by `/`. */
  path: string;
  depth: number;
  content: string;
  childCount: number;
  voteCount: number;
  voteCounts: Record<string, number>;
  createdAt: Timestamp | null;
  updatedAt: Timestamp | null;
}

export type VoteTargetType = 'post' | 'comment';

export interface VoteTarget {
  targetType: VoteTargetType;
  targetId: string;
  /** A comment's post (comments live in their post's partition); omitted for a post. */
  postId?: string;
}

export interface Vote {
  userId: string;
  targetType: VoteTargetType;
  targetId: string;
  voteType: string;
  createdAt: Timestamp | null;
}

export interface VoteSummary {
  total: number;
  byType: Record<string, number>;
}

/** A page of a feed, newest first; `continuation` is opaque, null on the last page. */
export interface Page<T> {
  items: T[];
  continuation: string | null;
}

export interface NewUser {
  /** Chosen by the caller (a UUID), so that both stores get the same id. */
  id: string;
  username: string;
  email: string;
  passwordHash: string;
  createdAt: Timestamp;
}

export interface UserChanges {
  username?: string;
  email?: string;
  passwordHash?: string;
}

export interface NewPost {
  id: string;
  authorId: string;
  title: string;
  content: string;
  createdAt: Timestamp;
}

export interface PostChanges {
  title?: string;
  content?: string;
  updatedAt: Timestamp;
}

export interface NewComment {
  id: string;
  postId: string;
  authorId: string;
  /** A reply's parent comment (of the same post), or null for a root comment. */
  parentId: string | null;
  content: string;
  createdAt: Timestamp;
}

export interface CommentChanges {
  content: string;
  updatedAt: Timestamp;
}

export interface NewVote extends VoteTarget {
  /** The vote row's id (PostgreSQL `votes.id`), chosen by the caller. */
  id: string;
  userId: string;
  voteType: string;
  createdAt: Timestamp;
}

export interface FeedQuery {
  /** At most this many items, 1 to 100. */
  limit: number;
  continuation?: string | null;
}
