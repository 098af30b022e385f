import { describePostgresError } from '../../postgres/errors';
import type { Queryable } from '../../source/queryable';
import { syncError } from './errors';
import { publicationPrivilegeError, type SetUpContext } from './set-up-errors';
import { sqlState } from './slot-errors';
import type { SourceTable } from './source-tables';

/**
 * What a publication of this name publishes. Row filters and column lists (PostgreSQL 15+)
 * are read through to_jsonb so older servers answer too; either would hide changes.
 */
const PUBLICATION_SQL = `
SELECT p.puballtables AS all_tables,
       p.pubinsert AND p.pubupdate AND p.pubdelete AND p.pubtruncate AS every_action,
       ARRAY(SELECT c.oid::text FROM pg_publication_tables pt
             JOIN pg_namespace n ON n.nspname = pt.schemaname
             JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = pt.tablename
             WHERE pt.pubname = p.pubname) AS table_oids,
       EXISTS (SELECT 1 FROM pg_publication_rel r
               WHERE r.prpubid = p.oid
                 AND (to_jsonb(r)->>'prqual' IS NOT NULL OR to_jsonb(r)->>'prattrs' IS NOT NULL)) AS filtered
FROM pg_publication p WHERE p.pubname = $1`;

/**
 * Creates the publication for exactly the four tables, or accepts an existing one that is
 * exactly that (a set-up that stopped after this step, run again). TRUNCATE is published
 * too: the sync must see it to stop on it, rather than silently keep deleted rows.
 */
export async function ensurePublication(
  db: Queryable,
  tables: readonly SourceTable[],
  context: SetUpContext,
): Promise<{ created: boolean }> {
  if (await matchingPublication(db, tables, context)) return { created: false };
  const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;
  try {
    await db.query(
      `CREATE PUBLICATION ${ident(context.publication)} FOR TABLE ${tables.map((t) => t.qualified).join(', ')}
       WITH (publish = 'insert, update, delete, truncate')`,
    );
    return { created: true };
  } catch (error) {
    if (sqlState(error) === '42501') throw publicationPrivilegeError(context, error);
    // Another set-up made it in between: accept it if it is right.
    if (sqlState(error) === '42710' && (await matchingPublication(db, tables, context))) {
      return { created: false };
    }
    throw describePostgresError(error);
  }
}

/** True for a right one, false for none, an error for a wrong one (never altered: someone chose it). */
async function matchingPublication(
  db: Queryable,
  tables: readonly SourceTable[],
  context: SetUpContext,
): Promise<boolean> {
  const { rows } = await db.query(PUBLICATION_SQL, [context.publication]);
  const row = rows[0];
  if (!row) return false;
  const wanted = tables.map((t) => t.oid).sort();
  const actual = [...(row.table_oids as string[])].sort();
  const problems = [
    ...(row.all_tables ? ['it is FOR ALL TABLES'] : []),
    ...(row.every_action ? [] : ['it does not publish all of insert, update, delete and truncate']),
    ...(row.filtered ? ['it has a row filter or a column list'] : []),
    ...(!row.all_tables && wanted.join() !== actual.join()
      ? [`it covers other tables than ${tables.map((t) => t.qualified).join(', ')}`]
      : []),
  ];
  if (problems.length === 0) return true;
  throw syncError(
    'SYNC_PUBLICATION_MISMATCH',
    `publication ${context.publication} exists but is not the sync's: ${problems.join('; ')}; drop it (DROP PUBLICATION ${context.publication}) or tear the sync down, then set up again`,
    409,
  );
}
