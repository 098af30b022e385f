import { batchKeys, changedIdsPage, CosmosDocument, EntityModule, inWindow } from './entity';
import { cosmosId, encodeKey, partitionKey, requireKey, timestamp, uuid } from './values';

/** The vote document's id, before its limit is checked: one vote per user, target and type. */
export const voteKey = (userId: string, targetId: string, targetType: string) =>
  `vote_${userId}_${targetId}_${encodeKey(targetType)}`;

export interface VoteRow {
  id: string;
  user_id: string | null;
  username: string | null;
  target_id: string;
  target_type: string;
  vote_type: string;
  /** The partition key of the voted-on document, or NULL when the target does not exist. */
  target_pk: string | null;
  created_at: string | null;
}

export const votes: EntityModule<VoteRow> = {
  name: 'votes',
  table: 'votes',
  container: 'votes',
  // votes.target_id has no foreign key: the joins find out whether the target exists.
  extractSql: (filter) => `
    WITH vo AS (SELECT * FROM votes vo WHERE ${filter('vo')}),
    u AS MATERIALIZED (
      SELECT id, username FROM users WHERE id = ANY(${batchKeys('vo', 'user_id')})
    ),
    p AS MATERIALIZED (
      SELECT id, author_id FROM posts
      WHERE id = ANY(${batchKeys('vo', 'target_id', "target_type = 'post'")})
    ),
    c AS MATERIALIZED (
      SELECT id, post_id FROM comments
      WHERE id = ANY(${batchKeys('vo', 'target_id', "target_type = 'comment'")})
    )
    SELECT vo.id, vo.user_id, u.username, vo.target_id, vo.target_type, vo.vote_type, vo.created_at,
           CASE
             WHEN vo.target_type = 'post' AND p.author_id IS NOT NULL THEN 'user:' || p.author_id
             WHEN vo.target_type = 'comment' AND c.post_id IS NOT NULL THEN 'post:' || c.post_id
           END AS target_pk
    FROM vo
    LEFT JOIN u ON u.id = vo.user_id
    LEFT JOIN p ON vo.target_type = 'post' AND p.id = vo.target_id
    LEFT JOIN c ON vo.target_type = 'comment' AND c.id = vo.target_id
    ORDER BY vo.id`,
  changedSql: changedIdsPage(`SELECT id FROM votes WHERE ${inWindow('created_at')}`),
  documentKinds: [{ type: 'vote', sourceKey: 'sourceId' }],
  rowId: (row) => uuid(row.id),
  toDocuments(row): CosmosDocument[] {
    const userId = uuid(requireKey(row.user_id, 'user_id'));
    const targetId = uuid(row.target_id);
    const id = cosmosId(voteKey(userId, targetId, row.target_type), 'vote');
    return [
      {
        id,
        pk: partitionKey(`target:${targetId}`, 'vote'),
        type: 'vote',
        sourceId: uuid(row.id),
        userId,
        targetId,
        targetType: row.target_type,
        voteType: row.vote_type,
        targetPk: row.target_pk === null ? null : row.target_pk.toLowerCase(),
        user: { username: row.username, displayName: row.username },
        timestamps: { createdAt: timestamp(row.created_at, 'created_at') },
      },
    ];
  },
  findings: (row) => (row.target_pk === null ? ['orphanVotes'] : []),
};
