export const ENTITY_NAMES = ['users', 'posts', 'comments', 'votes'] as const;
export type EntityName = (typeof ENTITY_NAMES)[number];

export interface CosmosDocument {
  id: string;
  pk: string;
  type: string;
  [property: string]: unknown;
}

/**
 * One entity: its extraction SQL, its row-to-document transform and what it reports about
 * the data. Adding an entity means one such module plus its line in the registry.
 */
export interface EntityModule<Row = unknown> {
  readonly name: EntityName;
  readonly table: string;
  readonly container: string;
  /**
   * Set-based keyset extraction of one batch: `$1` is the exclusive lower bound and `$2`
   * the inclusive upper bound of `id` (either may be NULL for an open end), rows in id order.
   */
  readonly extractSql: string;
  rowId(row: Row): string;
  /** Throws `RowError` when the row cannot be represented; the run records it and goes on. */
  toDocuments(row: Row): CosmosDocument[];
  /** Data-quality findings for a row that migrates as it is (e.g. an orphan vote). */
  findings?(row: Row): string[];
}

/** `WHERE` clause of a keyset range over `alias.id`. */
export function keysetRange(alias: string): string {
  return `($1::uuid IS NULL OR ${alias}.id > $1::uuid) AND ($2::uuid IS NULL OR ${alias}.id <= $2::uuid)`;
}

/** Vote counts per `vote_type`, the vote total and the newest vote, for targets in a CTE. */
export function voteAggregateSql(targetType: 'post' | 'comment', targetsCte: string): string {
  return `
    SELECT target_id, jsonb_object_agg(vote_type, n) AS vote_counts, sum(n)::int AS vote_total,
           max(last_vote_at) AS last_vote_at
    FROM (
      SELECT target_id, vote_type, count(*)::int AS n, max(created_at) AS last_vote_at
      FROM votes
      WHERE target_type = '${targetType}' AND target_id IN (SELECT id FROM ${targetsCte})
      GROUP BY target_id, vote_type
    ) per_type
    GROUP BY target_id`;
}
