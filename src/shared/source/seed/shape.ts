/**
 * How big and how messy the sample is. Rates are per row; scales feed `heavyTailCount`, whose
 * mean is about 1.25 x scale - 0.5 before the cap.
 */
export const SHAPE = {
  /** ≈1 post per user: most users post 0-2 times, a few post dozens. */
  postsPerUserScale: 1.2,
  postsPerUserCap: 150,
  /** ≈2 comments per post, a few posts with hundreds. */
  commentsPerPostScale: 2,
  commentsPerPostCap: 400,
  /** Together ≈2.5 votes per post or comment: posts draw more votes than comments. */
  votesPerPostScale: 4.2,
  votesPerCommentScale: 2,
  votesPerTargetCap: 250,
  /** Share of comments that answer an earlier comment rather than the post. */
  replyShare: 0.6,
  /** Of those, share that answer the latest comment: conversations go deep. */
  replyToLatestShare: 0.6,
  maxDepth: 10,
  /** Busy posts where everyone answers the latest comment: the deepest threads. */
  deepThreadMinComments: 8,
  deepThreadShare: 0.15,
  /** Sizes in characters of the rows near the limits of a document. */
  hugePostCount: 3,
  hugePostMinChars: 200_000,
  hugePostMaxChars: 400_000,
  hugeCommentChars: 100_000,
} as const;

/** The real-world mess a migration has to survive, as a share of rows. */
export const MESS = {
  staleCommentCount: 0.03,
  staleAuthorUsername: 0.03,
  sentimentAllNull: 0.04,
  sentimentSomeNull: 0.04,
  sentimentAnalysisNull: 0.03,
  toxicityTagsNull: 0.03,
  toxicityScoresNull: 0.03,
  orphanVote: 0.01,
} as const;

export const CHUNK_ROWS = 2000;
