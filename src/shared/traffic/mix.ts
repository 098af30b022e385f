/**
 * The Social Pulse mix, in operations per thousand: about 70 % reads (feeds, a post, its
 * thread, votes, logins) and 30 % writes (posts, comments and replies, votes, edits, now and
 * then a deletion or a new user).
 */
export const READ_MIX = {
  globalFeed: 150,
  userPosts: 80,
  getPost: 120,
  commentThread: 140,
  voteSummary: 80,
  userVote: 60,
  login: 50,
  getUser: 20,
} as const;

export const WRITE_MIX = {
  createUser: 20,
  createPost: 40,
  createComment: 40,
  reply: 30,
  vote: 70,
  changeVote: 20,
  removeVote: 20,
  editPost: 20,
  editComment: 20,
  deleteComment: 15,
  deletePost: 5,
} as const;

export const MIX = { ...READ_MIX, ...WRITE_MIX };

export type ReadKind = keyof typeof READ_MIX;
export type WriteKind = keyof typeof WRITE_MIX;
export type OperationKind = ReadKind | WriteKind;

export const OPERATION_KINDS = Object.keys(MIX) as OperationKind[];

export const isWrite = (kind: OperationKind): kind is WriteKind => kind in WRITE_MIX;

/** Reactions as the seeded sample has them: mostly likes. */
export const VOTE_TYPES = {
  like: 10,
  love: 4,
  laugh: 2,
  wow: 2,
  sad: 1,
  angry: 1,
} as const;
