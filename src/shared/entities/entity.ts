export const ENTITY_NAMES = ['users', 'posts', 'comments', 'votes'] as const;
export type EntityName = (typeof ENTITY_NAMES)[number];

/**
 * Documents that record a deletion (comments, votes) for the change feed: infrastructure, not
 * data. Validation and every count skip them.
 */
export const TOMBSTONE_TYPE = 'tombstone';

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
   * Set-based extraction (joins and aggregates) of the rows the filter selects, in id order:
   * `keysetRange` for a batch, `idList` for chosen rows (validation samples, repairs).
   * Other tables are read through `MATERIALIZED` CTEs keyed by `= ANY(ARRAY(<this batch's
   * keys>))` (see `batchKeys`), never by a plain join or `IN (SELECT ...)`.
   */
  extractSql(filter: RowFilter): string;
  /**
   * Ids whose documents may have changed between `$1` and `$2` (timestamptz), including
   * rows whose embedded counts changed because a child row did; keyset-paged by `$3`
   * (exclusive lower id, or NULL) and `$4` (limit). Deleted rows leave no trace here.
   */
  readonly changedSql: string;
  /** The document types this entity writes and the property holding their source row id. */
  readonly documentKinds: readonly DocumentKind[];
  /** Properties whose values never appear in a report (JSON pointers). */
  readonly maskedFields?: readonly string[];
  rowId(row: Row): string;
  /** Throws `RowError` when the row cannot be represented; the run records it and goes on. */
  toDocuments(row: Row): CosmosDocument[];
  /** Data-quality findings for a row that migrates as it is (e.g. an orphan vote). */
  findings?(row: Row): string[];
}

export interface DocumentKind {
  type: string;
  /** The property that holds the id of the source row (e.g. `id`, `userId`, `sourceId`). */
  sourceKey: string;
}

/** A `WHERE` condition over `alias.id`, with its parameters numbered from `$1`. */
export type RowFilter = (alias: string) => string;

/** `$1` is the exclusive lower bound and `$2` the inclusive upper bound; NULL is an open end. */
export const keysetRange: RowFilter = (alias) =>
  `($1::uuid IS NULL OR ${alias}.id > $1::uuid) AND ($2::uuid IS NULL OR ${alias}.id <= $2::uuid)`;

/** `$1` is an array of ids. */
export const idList: RowFilter = (alias) => `${alias}.id = ANY($1::uuid[])`;

/** Wraps the ids a union of `SELECT <id>` statements finds into one keyset page (see changedSql). */
export function changedIdsPage(union: string): string {
  return `
    SELECT id FROM (${union}) changed
    WHERE id IS NOT NULL AND ($3::uuid IS NULL OR id > $3::uuid)
    ORDER BY id LIMIT $4`;
}

/** `column` falls in the window `[$1, $2]`. */
export const inWindow = (column: string) => `${column} BETWEEN $1::timestamptz AND $2::timestamptz`;

/**
 * `= ANY(batchKeys(...))` probes the index once per key of this batch. PostgreSQL plans a join or
 * an `IN (SELECT ...)` from table statistics, and on tables of up to a few million rows it then
 * hash-joins or scans the whole table for every batch, so the load grows with the square of the
 * table. The CTE holding such a lookup must be `MATERIALIZED`: inlined, the array check would
 * run once per joined row.
 */
export const batchKeys = (cte: string, column = 'id', where?: string): string =>
  `ARRAY(SELECT ${column} FROM ${cte}${where ? ` WHERE ${where}` : ''})`;

/** Vote counts per `vote_type`, the vote total and the newest vote, for targets in a CTE. */
export function voteAggregateSql(targetType: 'post' | 'comment', targetsCte: string): string {
  return `
    SELECT target_id, jsonb_object_agg(vote_type, n) AS vote_counts, sum(n)::int AS vote_total,
           max(last_vote_at) AS last_vote_at
    FROM (
      SELECT target_id, vote_type, count(*)::int AS n, max(created_at) AS last_vote_at
      FROM votes
      WHERE target_type = '${targetType}' AND target_id = ANY(${batchKeys(targetsCte)})
      GROUP BY target_id, vote_type
    ) per_type
    GROUP BY target_id`;
}
