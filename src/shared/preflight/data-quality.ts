import { EntityName } from '../entities/entity';
import { entityModule } from '../entities/registry';
import { emailLookupKey, usernameLookupKey } from '../entities/users';
import { MAX_ID_BYTES } from '../entities/values';
import { voteKey } from '../entities/votes';
import { MAX_DOCUMENT_BYTES, transformBatch } from '../migration/transform-batch';
import {
  encodedLength,
  jsonbBytes,
  jsonTextBytes,
  needsIdEncoding,
  nonFinite,
  outOfRangeTimestamp,
  unrepresentableJsonNumber,
} from './data-quality-sql';
import { EXTRACTION_TABLES } from './extraction-tables';
import { SourceInspector } from './ports';
import { Finding, FindingEffect } from './report';
import { firstLine } from './source-checks';

/** One data-quality question: a query selecting the `id` of every affected row of `entity`. */
interface FindingQuery {
  code: string;
  entity: EntityName;
  effect: FindingEffect;
  message: string;
  /** Every table the query reads: it runs only when they all have their columns. */
  tables: EntityName[];
  sql: string;
}

/**
 * An id is its fixed ASCII prefix plus encoded free text, which is ASCII too, so its UTF-8 bytes
 * are the prefix's bytes plus `encodedLength` of the text.
 */
const prefixBytes = (id: string) => Buffer.byteLength(id);
const NIL_UUID = '00000000-0000-0000-0000-000000000000';
// No question for partition keys: each is `<kind>:<uuid>` or a lookup id, and the id limit
// (1,023 bytes) keeps a lookup id well under the partition key limit (2,048 bytes).

/** Each row counts once per question; a row with two problems appears in two findings. */
export const FINDING_QUERIES: readonly FindingQuery[] = [
  {
    code: 'staleCommentCount',
    entity: 'posts',
    effect: 'corrected',
    message: 'posts.comment_count differs from the comments rows (the load counts the rows)',
    tables: ['posts', 'comments'],
    sql: `SELECT p.id FROM posts p
          LEFT JOIN (SELECT post_id, count(*) AS n FROM comments GROUP BY post_id) c ON c.post_id = p.id
          WHERE p.comment_count IS DISTINCT FROM COALESCE(c.n, 0)`,
  },
  {
    code: 'staleAuthorUsername',
    entity: 'posts',
    effect: 'corrected',
    message: 'posts.author_username differs from users.username (the load takes users.username)',
    tables: ['posts', 'users'],
    sql: `SELECT p.id FROM posts p JOIN users u ON u.id = p.author_id
          WHERE p.author_username IS DISTINCT FROM u.username`,
  },
  {
    code: 'orphanVotes',
    entity: 'votes',
    effect: 'migratedAsIs',
    message: 'votes whose target row does not exist (migrated with targetPk: null)',
    tables: ['votes', 'posts', 'comments'],
    // The same test as the extraction's target_pk: a target without a partition key counts too.
    sql: `SELECT v.id FROM votes v WHERE NOT (
            (v.target_type = 'post' AND EXISTS (
               SELECT 1 FROM posts p WHERE p.id = v.target_id AND p.author_id IS NOT NULL))
            OR (v.target_type = 'comment' AND EXISTS (
               SELECT 1 FROM comments c WHERE c.id = v.target_id AND c.post_id IS NOT NULL)))`,
  },
  {
    code: 'replyOnOtherPost',
    entity: 'comments',
    effect: 'migratedAsIs',
    message: 'replies whose parent comment belongs to another post (migrated as stored)',
    tables: ['comments'],
    sql: `SELECT c.id FROM comments c JOIN comments parent ON parent.id = c.parent_id
          WHERE c.post_id IS DISTINCT FROM parent.post_id`,
  },
  {
    code: 'threadPathMismatch',
    entity: 'comments',
    effect: 'migratedAsIs',
    message:
      "path/depth disagree with the thread (a root's path is `<id>/` at depth 0, a reply's is its parent's path plus `<id>/` at the parent's depth + 1; migrated as stored)",
    tables: ['comments'],
    // comments.path is the comment ids from the root down, each followed by `/` (ids as
    // PostgreSQL prints a uuid: lowercase, canonical). A reply whose parent row is missing (only
    // possible without the foreign key) is checked against itself: its path ends in `<id>/` and
    // has depth + 1 segments.
    sql: `SELECT c.id FROM comments c LEFT JOIN comments parent ON parent.id = c.parent_id
          WHERE CASE
            WHEN c.parent_id IS NULL THEN
              c.depth IS DISTINCT FROM 0 OR c.path IS DISTINCT FROM c.id::text || '/'
            WHEN parent.id IS NULL THEN
              right(c.path, 37) IS DISTINCT FROM c.id::text || '/'
              OR c.depth IS DISTINCT FROM length(c.path) - length(replace(c.path, '/', '')) - 1
            ELSE
              c.depth IS DISTINCT FROM parent.depth + 1
              OR c.path IS DISTINCT FROM parent.path || c.id::text || '/'
          END`,
  },
  {
    code: 'missingKey',
    entity: 'posts',
    effect: 'rowError',
    message: 'author_id is NULL, so no partition key can be formed (row error MISSING_KEY)',
    tables: ['posts'],
    sql: `SELECT id FROM posts WHERE author_id IS NULL`,
  },
  {
    code: 'missingKey',
    entity: 'comments',
    effect: 'rowError',
    message: 'post_id is NULL, so no partition key can be formed (row error MISSING_KEY)',
    tables: ['comments'],
    sql: `SELECT id FROM comments WHERE post_id IS NULL`,
  },
  {
    code: 'missingKey',
    entity: 'votes',
    effect: 'rowError',
    message: 'user_id is NULL, so no vote id can be formed (row error MISSING_KEY)',
    tables: ['votes'],
    sql: `SELECT id FROM votes WHERE user_id IS NULL`,
  },
  {
    code: 'nonFiniteNumber',
    entity: 'posts',
    effect: 'rowError',
    message:
      'sentiment_score or popularity_score is NaN or ±Infinity, which JSON cannot hold (row error NON_FINITE_NUMBER)',
    tables: ['posts'],
    sql: `SELECT id FROM posts WHERE ${nonFinite('sentiment_score')} OR ${nonFinite('popularity_score')}`,
  },
  {
    code: 'nonFiniteNumber',
    entity: 'comments',
    effect: 'rowError',
    message:
      'sentiment_score is NaN or ±Infinity, which JSON cannot hold (row error NON_FINITE_NUMBER)',
    tables: ['comments'],
    sql: `SELECT id FROM comments WHERE ${nonFinite('sentiment_score')}`,
  },
  {
    code: 'unrepresentableJsonNumber',
    entity: 'posts',
    effect: 'rowError',
    message:
      'sentiment_analysis or toxicity_scores holds a number a double would change (row error UNREPRESENTABLE_NUMBER)',
    tables: ['posts'],
    sql: `SELECT id FROM posts
          WHERE ${unrepresentableJsonNumber('sentiment_analysis')} OR ${unrepresentableJsonNumber('toxicity_scores')}`,
  },
  {
    code: 'unrepresentableJsonNumber',
    entity: 'comments',
    effect: 'rowError',
    message:
      'toxicity_scores holds a number a double would change (row error UNREPRESENTABLE_NUMBER)',
    tables: ['comments'],
    sql: `SELECT id FROM comments WHERE ${unrepresentableJsonNumber('toxicity_scores')}`,
  },
  {
    code: 'invalidTimestamp',
    entity: 'users',
    effect: 'rowError',
    message: 'created_at is infinity, BC or after 9999 (row error INVALID_TIMESTAMP)',
    tables: ['users'],
    sql: `SELECT id FROM users WHERE ${outOfRangeTimestamp('created_at')}`,
  },
  {
    code: 'invalidTimestamp',
    entity: 'posts',
    effect: 'rowError',
    message:
      'created_at, updated_at or the last activity (newest comment or vote) is infinity, BC or after 9999 (row error INVALID_TIMESTAMP)',
    tables: ['posts', 'comments', 'votes'],
    // lastActivityAt is GREATEST(updated_at, newest comment, newest vote), as the extraction computes it.
    sql: `SELECT p.id FROM posts p
          LEFT JOIN (SELECT post_id, max(created_at) AS m FROM comments GROUP BY post_id) c ON c.post_id = p.id
          LEFT JOIN (SELECT target_id, max(created_at) AS m FROM votes WHERE target_type = 'post'
                     GROUP BY target_id) v ON v.target_id = p.id
          WHERE ${outOfRangeTimestamp('p.created_at')} OR ${outOfRangeTimestamp('p.updated_at')}
             OR ${outOfRangeTimestamp('GREATEST(p.updated_at, c.m, v.m)')}`,
  },
  {
    code: 'invalidTimestamp',
    entity: 'comments',
    effect: 'rowError',
    message: 'created_at or updated_at is infinity, BC or after 9999 (row error INVALID_TIMESTAMP)',
    tables: ['comments'],
    sql: `SELECT id FROM comments
          WHERE ${outOfRangeTimestamp('created_at')} OR ${outOfRangeTimestamp('updated_at')}`,
  },
  {
    code: 'invalidTimestamp',
    entity: 'votes',
    effect: 'rowError',
    message: 'created_at is infinity, BC or after 9999 (row error INVALID_TIMESTAMP)',
    tables: ['votes'],
    sql: `SELECT id FROM votes WHERE ${outOfRangeTimestamp('created_at')}`,
  },
  {
    code: 'idTooLong',
    entity: 'users',
    effect: 'rowError',
    message: `username or email, encoded, makes a lookup id over ${MAX_ID_BYTES} bytes (row error ID_TOO_LONG)`,
    tables: ['users'],
    sql: `SELECT id FROM users
          WHERE ${prefixBytes(usernameLookupKey(''))} + ${encodedLength('username')} > ${MAX_ID_BYTES}
             OR ${prefixBytes(emailLookupKey(''))} + ${encodedLength('email')} > ${MAX_ID_BYTES}`,
  },
  {
    code: 'idTooLong',
    entity: 'votes',
    effect: 'rowError',
    message: `target_type, encoded, makes the vote id over ${MAX_ID_BYTES} bytes (row error ID_TOO_LONG)`,
    tables: ['votes'],
    sql: `SELECT id FROM votes
          WHERE ${prefixBytes(voteKey(NIL_UUID, NIL_UUID, ''))} + ${encodedLength('target_type')} > ${MAX_ID_BYTES}`,
  },
  {
    code: 'idNeedsEncoding',
    entity: 'users',
    effect: 'encoded',
    message:
      'username or email holds / \\ ? or #, which Cosmos ids cannot: the lookup ids encode it (encodeURIComponent)',
    tables: ['users'],
    sql: `SELECT id FROM users WHERE ${needsIdEncoding('username')} OR ${needsIdEncoding('email')}`,
  },
  {
    code: 'idNeedsEncoding',
    entity: 'votes',
    effect: 'encoded',
    message:
      'target_type holds / \\ ? or #, which Cosmos ids cannot: the vote id encodes it (encodeURIComponent)',
    tables: ['votes'],
    sql: `SELECT id FROM votes WHERE ${needsIdEncoding('target_type')}`,
  },
];

/**
 * Rows whose text could make a document reach the 2 MB limit: the text as it appears in the
 * document (names twice: username and displayName) plus JSONB. Keys, ids, timestamps and
 * counts take far less than this allowance, so every row whose document is over the limit is
 * a candidate; the candidates are then transformed exactly as the load would.
 */
const STRUCTURE_ALLOWANCE_BYTES = 64 * 1024;
const CANDIDATE_BYTES = MAX_DOCUMENT_BYTES - STRUCTURE_ALLOWANCE_BYTES;

/** `tables`: the candidates are transformed through the extraction, which reads all of them. */
const LARGE_DOCUMENT_QUERIES: { entity: EntityName; tables: readonly EntityName[]; sql: string }[] =
  [
    {
      entity: 'users',
      tables: EXTRACTION_TABLES.users,
      sql: `SELECT id FROM users
          WHERE 2 * ${jsonTextBytes('username')} + ${jsonTextBytes('email')} + ${jsonTextBytes('password_hash')} >= ${CANDIDATE_BYTES}`,
    },
    {
      entity: 'posts',
      tables: EXTRACTION_TABLES.posts,
      sql: `SELECT p.id FROM posts p LEFT JOIN users u ON u.id = p.author_id
          WHERE ${jsonTextBytes('p.title')} + ${jsonTextBytes('p.content')} + 2 * ${jsonTextBytes('u.username')}
              + ${jsonTextBytes('p.sentiment_type')} + ${jsonTextBytes('p.sentiment_colors')} + ${jsonTextBytes('p.toxicity_tags')}
              + ${jsonbBytes('p.sentiment_analysis')} + ${jsonbBytes('p.toxicity_scores')} >= ${CANDIDATE_BYTES}`,
    },
    {
      entity: 'comments',
      tables: EXTRACTION_TABLES.comments,
      sql: `SELECT c.id FROM comments c LEFT JOIN users u ON u.id = c.user_id
          WHERE ${jsonTextBytes('c.content')} + 2 * ${jsonTextBytes('u.username')} + ${jsonTextBytes('c.path')}
              + ${jsonTextBytes('c.sentiment_type')} + ${jsonTextBytes('c.sentiment_colors')} + ${jsonTextBytes('c.toxicity_tags')}
              + ${jsonbBytes('c.toxicity_scores')} >= ${CANDIDATE_BYTES}`,
    },
    {
      entity: 'votes',
      tables: EXTRACTION_TABLES.votes,
      sql: `SELECT v.id FROM votes v LEFT JOIN users u ON u.id = v.user_id
          WHERE 2 * ${jsonTextBytes('u.username')} + 3 * ${jsonTextBytes('v.target_type')}
              + ${jsonTextBytes('v.vote_type')} >= ${CANDIDATE_BYTES}`,
    },
  ];

/** Candidates transformed one by one at most; more than this are reported as unchecked. */
const MAX_CONFIRMED_CANDIDATES = 25;

export interface DataQualityResult {
  findings: Finding[];
  /** Questions that could not be answered, with the reason. */
  errors: string[];
  /** Questions asked of the source. */
  asked: number;
  /** Questions not asked, as `entity.code`: a table they read is missing or lacks columns. */
  notAsked: string[];
  /** What an asked question left open. */
  partial: string[];
}

export async function findDataQualityProblems(
  source: SourceInspector,
  completeTables: readonly EntityName[],
  examples: number,
): Promise<DataQualityResult> {
  const result: DataQualityResult = {
    findings: [],
    errors: [],
    asked: 0,
    notAsked: [],
    partial: [],
  };
  const runnable = (tables: readonly EntityName[]) =>
    tables.every((t) => completeTables.includes(t));
  for (const query of FINDING_QUERIES) {
    if (!runnable(query.tables)) {
      result.notAsked.push(`${query.entity}.${query.code}`);
      continue;
    }
    result.asked++;
    try {
      const { count, examples: ids } = await source.rows(query.sql, examples);
      if (count > 0) {
        const { code, entity, effect, message } = query;
        result.findings.push({ code, entity, count, effect, message, examples: ids });
      }
    } catch (error) {
      result.errors.push(`${query.entity}.${query.code}: ${firstLine(error)}`);
    }
  }
  for (const query of LARGE_DOCUMENT_QUERIES) {
    if (!runnable(query.tables)) {
      result.notAsked.push(`${query.entity}.documentTooLarge`);
      continue;
    }
    result.asked++;
    try {
      const { finding, unchecked } = await confirmLargeDocuments(
        source,
        query.entity,
        query.sql,
        examples,
      );
      if (finding) result.findings.push(finding);
      else if (unchecked > 0)
        result.partial.push(
          `${query.entity}.documentTooLarge: ${unchecked} more rows with over ${CANDIDATE_BYTES} bytes of text were not transformed to check (the first ${MAX_CONFIRMED_CANDIDATES} were under the limit)`,
        );
    } catch (error) {
      result.errors.push(`${query.entity}.documentTooLarge: ${firstLine(error)}`);
    }
  }
  return result;
}

async function confirmLargeDocuments(
  source: SourceInspector,
  entityName: EntityName,
  sql: string,
  examples: number,
): Promise<{ finding?: Finding; unchecked: number }> {
  const candidates = await source.rows(sql, MAX_CONFIRMED_CANDIDATES);
  if (candidates.count === 0) return { unchecked: 0 };
  const entity = entityModule(entityName);
  const confirmed: string[] = [];
  for (const id of candidates.examples) {
    // (id - 1, id] holds exactly this row: the extraction reads it as a run would.
    const rows = await source.readBatch(entity, { from: uuidPredecessor(id), to: id });
    const { rowErrors } = transformBatch(entity, rows);
    if (rowErrors.some((error) => error.code === 'DOCUMENT_TOO_LARGE')) confirmed.push(id);
  }
  // Beyond the first candidates none is transformed: the count claims only confirmed rows.
  const unchecked = candidates.count - candidates.examples.length;
  if (confirmed.length === 0) return { unchecked };
  const finding: Finding = {
    code: 'documentTooLarge',
    entity: entityName,
    count: confirmed.length,
    effect: 'rowError',
    message:
      `the document would be over ${MAX_DOCUMENT_BYTES} bytes (row error DOCUMENT_TOO_LARGE)` +
      (unchecked > 0
        ? `; ${unchecked} more rows with over ${CANDIDATE_BYTES} bytes of text were not transformed to check`
        : ''),
    examples: confirmed.slice(0, examples),
  };
  return { finding, unchecked };
}

/** The uuid just below `id` (as 128-bit numbers), or null for the smallest. */
export function uuidPredecessor(id: string): string | null {
  const value = BigInt(`0x${id.replace(/-/g, '')}`);
  if (value === 0n) return null;
  const hex = (value - 1n).toString(16).padStart(32, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
