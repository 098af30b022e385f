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

export interface CommentRow {
  id: string;
  post_id: string | null;
  post_author_id: string | null;
  content: string;
  user_id: string | null;
  author_name: string | null;
  parent_id: string | null;
  path: string;
  depth: number;
  child_total: number;
  sentiment_score: number | null;
  sentiment_colors: string[] | null;
  sentiment_type: string | null;
  is_blocked: boolean | null;
  toxicity_tags: string[] | null;
  toxicity_scores: JsonValue;
  vote_total: number;
  vote_counts: JsonValue;
  created_at: string | null;
  updated_at: string | null;
}

export const comments: EntityModule<CommentRow> = {
  name: 'comments',
  table: 'comments',
  container: 'comments',
  extractSql: (filter) => `
    WITH cm AS (SELECT * FROM comments cm WHERE ${filter('cm')}),
    p AS MATERIALIZED (
      SELECT id, author_id FROM posts WHERE id = ANY(${batchKeys('cm', 'post_id')})
    ),
    u AS MATERIALIZED (
      SELECT id, username FROM users WHERE id = ANY(${batchKeys('cm', 'user_id')})
    ),
    ch AS MATERIALIZED (
      SELECT parent_id, count(*)::int AS child_total
      FROM comments WHERE parent_id = ANY(${batchKeys('cm')}) GROUP BY parent_id
    ),
    v AS MATERIALIZED (${voteAggregateSql('comment', 'cm')})
    SELECT cm.id, cm.post_id, p.author_id AS post_author_id, cm.content, cm.user_id,
           u.username AS author_name, cm.parent_id, cm.path, cm.depth,
           COALESCE(ch.child_total, 0) AS child_total,
           cm.sentiment_score, cm.sentiment_colors, cm.sentiment_type, cm.is_blocked,
           cm.toxicity_tags, cm.toxicity_scores,
           COALESCE(v.vote_total, 0) AS vote_total, COALESCE(v.vote_counts, '{}'::jsonb) AS vote_counts,
           cm.created_at, cm.updated_at
    FROM cm
    LEFT JOIN p ON p.id = cm.post_id
    LEFT JOIN u ON u.id = cm.user_id
    LEFT JOIN ch ON ch.parent_id = cm.id
    LEFT JOIN v ON v.target_id = cm.id
    ORDER BY cm.id`,
  // A new reply changes its parent's childCount; a new vote its counts.
  changedSql: changedIdsPage(`
    SELECT id FROM comments WHERE ${inWindow('created_at')} OR ${inWindow('updated_at')}
    UNION SELECT parent_id FROM comments WHERE ${inWindow('created_at')} OR ${inWindow('updated_at')}
    UNION SELECT target_id FROM votes WHERE target_type = 'comment' AND ${inWindow('created_at')}`),
  documentKinds: [{ type: 'comment', sourceKey: 'id' }],
  rowId: (row) => uuid(row.id),
  toDocuments(row): CosmosDocument[] {
    const id = cosmosId(uuid(row.id), 'comment');
    const postId = uuid(requireKey(row.post_id, 'post_id'));
    const allSentimentNull =
      row.sentiment_score === null && row.sentiment_colors === null && row.sentiment_type === null;
    return [
      {
        id,
        pk: partitionKey(`post:${postId}`, 'comment'),
        type: 'comment',
        postId,
        postPk: row.post_author_id === null ? null : `user:${uuid(row.post_author_id)}`,
        content: row.content,
        author: { id: uuid(row.user_id), username: row.author_name, displayName: row.author_name },
        threading: {
          parentId: uuid(row.parent_id),
          path: row.path,
          depth: row.depth,
          childCount: row.child_total,
        },
        engagement: { voteCount: row.vote_total, voteCounts: json(row.vote_counts, 'vote_counts') },
        sentiment: allSentimentNull
          ? null
          : {
              score: finite(row.sentiment_score, 'sentiment_score'),
              colors: textArray(row.sentiment_colors),
              type: row.sentiment_type,
            },
        moderation: {
          isBlocked: row.is_blocked,
          toxicityTags: textArray(row.toxicity_tags),
          scores: json(row.toxicity_scores, 'toxicity_scores'),
        },
        timestamps: {
          createdAt: timestamp(row.created_at, 'created_at'),
          updatedAt: timestamp(row.updated_at, 'updated_at'),
        },
      },
    ];
  },
};
