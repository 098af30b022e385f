import {
  Comment,
  CommentChanges,
  Credentials,
  FeedQuery,
  NewComment,
  NewPost,
  NewUser,
  NewVote,
  Page,
  Post,
  PostChanges,
  User,
  UserChanges,
  Vote,
  VoteSummary,
  VoteTarget,
} from './model';

export type StoreName = 'postgres' | 'cosmos';

/**
 * The Social Pulse application's repository, one adapter per store. Writes take the ids and
 * timestamps the caller chose, so that the same write on both stores leaves the same data.
 * Errors carry a stable code: `APP_NOT_FOUND` (404) for a missing user, post, comment or
 * vote, `APP_CONFLICT` (409) for a username or e-mail already taken.
 */
export interface AppRepository {
  readonly store: StoreName;

  createUser(user: NewUser): Promise<User>;
  getUser(id: string): Promise<User | null>;
  updateUser(id: string, changes: UserChanges): Promise<User>;
  /** A login's lookup: by username or by e-mail (whichever `login` is), null when neither exists. */
  findCredentials(login: string): Promise<Credentials | null>;

  createPost(post: NewPost): Promise<Post>;
  getPost(id: string): Promise<Post | null>;
  updatePost(id: string, changes: PostChanges): Promise<Post>;
  /** Deletes the post with its comments and every vote on them. */
  deletePost(id: string): Promise<void>;
  /** Every post, newest first (`createdAt` then `id`, both descending). */
  globalFeed(query: FeedQuery): Promise<Page<Post>>;
  /** One author's posts, newest first. */
  userPosts(userId: string, query: FeedQuery): Promise<Page<Post>>;

  /** A post's comments in thread order (by path). */
  commentThread(postId: string): Promise<Comment[]>;
  createComment(comment: NewComment): Promise<Comment>;
  updateComment(postId: string, id: string, changes: CommentChanges): Promise<Comment>;
  /** Deletes the comment, its replies (the whole subtree) and the votes on them. */
  deleteComment(postId: string, id: string): Promise<void>;

  /** Votes, or changes the type of the user's vote on the target (one vote per user and target). */
  vote(vote: NewVote): Promise<Vote>;
  /** Removes the user's vote on the target; nothing when there is none. */
  removeVote(userId: string, target: VoteTarget): Promise<void>;
  userVote(userId: string, target: VoteTarget): Promise<Vote | null>;
  /** The target's votes, by user id. */
  targetVotes(target: VoteTarget): Promise<Vote[]>;
  voteSummary(target: VoteTarget): Promise<VoteSummary>;
}
