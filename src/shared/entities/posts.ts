import {
  batchKeys,
  changedIdsPage,
  CosmosDocument,
  EntityModule,
  inWindow,
  voteAggregateSql,
} from './entity';
import {
  cosmosId,
  finite,
  json,
  JsonValue,
  partitionKey,
  requireKey,
  textArray,
  timestamp,
  uuid,
} from './values';

export interface PostRow {
  id: string;
  title: string;
  content: string;
  author_id: string | null;
  author_name: string | null;
  created_at: string | null;
  updated_at: string | null;
  sentiment_score: number | null;
  sentiment_colors: string[] | null;
  sentiment_type: string | null;
  sentiment_analysis: JsonValue;
  popularity_score: number | null;
  is_blocked: boolean | null;
  toxicity_tags: string[] | null;
  toxicity_scores: JsonValue;
  comment_total: number;
  vote_total: number;
  vote_counts: JsonValue;
  last_activity_at: string | null;
}

export const posts: EntityModule<PostRow> = {
  name: 'posts',
  table: 'posts',
  container: 'posts',
  // Counts come from the rows themselves, never from the possibly stale posts.comment_count.
  extractSql: (filter) => `
    WITH p AS (SELECT * FROM posts p WHERE ${filter('p')}),
    u AS MATERIALIZED (
      SELECT id, username FROM users WHERE id = ANY(${batchKeys('p', 'author_id')})
    ),
    c AS MATERIALIZED (
      SELECT post_id, count(*)::int AS comment_total, max(created_at) AS last_comment_at
      FROM comments WHERE post_id = ANY(${batchKeys('p')}) GROUP BY post_id
    ),
    v AS MATERIALIZED (${voteAggregateSql('post', 'p')})
    SELECT p.id, p.title, p.content, p.author_id, u.username AS author_name,
           p.created_at, p.updated_at, p.sentiment_score, p.sentiment_colors, p.sentiment_type,
           p.sentiment_analysis, p.popularity_score, p.is_blocked, p.toxicity_tags, p.toxicity_scores,
           COALESCE(c.comment_total, 0) AS comment_total, COALESCE(v.vote_total, 0) AS vote_total,
           COALESCE(v.vote_counts, '{}'::jsonb) AS vote_counts,
           GREATEST(p.updated_at, c.last_comment_at, v.last_vote_at) AS last_activity_at
    FROM p
    LEFT JOIN u ON u.id = p.author_id
    LEFT JOIN c ON c.post_id = p.id
    LEFT JOIN v ON v.target_id = p.id
    ORDER BY p.id`,
  // A new comment or vote changes the post's counts and lastActivityAt.
  changedSql: changedIdsPage(`
    SELECT id FROM posts WHERE ${inWindow('created_at')} OR ${inWindow('updated_at')}
    UNION SELECT post_id FROM comments WHERE ${inWindow('created_at')} OR ${inWindow('updated_at')}
    UNION SELECT target_id FROM votes WHERE target_type = 'post' AND ${inWindow('created_at')}`),
  documentKinds: [{ type: 'post', sourceKey: 'id' }],
  rowId: (row) => uuid(row.id),
  toDocuments(row): CosmosDocument[] {
    const id = cosmosId(uuid(row.id), 'post');
    const authorId = uuid(requireKey(row.author_id, 'author_id'));
    const updatedAt = timestamp(row.updated_at, 'updated_at');
    const allSentimentNull =
      row.sentiment_score === null &&
      row.sentiment_colors === null &&
      row.sentiment_type === null &&
      row.sentiment_analysis === null;
    return [
      {
        id,
        pk: partitionKey(`user:${authorId}`, 'post'),
        type: 'post',
        title: row.title,
        content: row.content,
        author: { id: authorId, username: row.author_name, displayName: row.author_name },
        engagement: {
          commentCount: row.comment_total,
          voteCount: row.vote_total,
          voteCounts: json(row.vote_counts, 'vote_counts'),
          popularityScore: finite(row.popularity_score, 'popularity_score'),
          lastActivityAt: timestamp(row.last_activity_at, 'last activity'),
        },
        sentiment: allSentimentNull
          ? null
          : {
              score: finite(row.sentiment_score, 'sentiment_score'),
              colors: textArray(row.sentiment_colors),
              type: row.sentiment_type,
              analysis: json(row.sentiment_analysis, 'sentiment_analysis'),
            },
        moderation: {
          isBlocked: row.is_blocked,
          toxicityTags: textArray(row.toxicity_tags),
          scores: json(row.toxicity_scores, 'toxicity_scores'),
          reviewedAt: updatedAt,
        },
        timestamps: { createdAt: timestamp(row.created_at, 'created_at'), updatedAt },
      },
    ];
  },
};
