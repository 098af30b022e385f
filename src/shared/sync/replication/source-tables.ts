import { ENTITY_NAMES, type EntityName } from '../../entities/entity';
import type { Queryable } from '../../source/queryable';
import { syncError } from './errors';
import { columnDifference, replicaIdentityProblem } from './schema-guard';

/** One of the four tables as the server resolves its name (search_path, like every other query here). */
export interface SourceTable {
  name: EntityName;
  oid: string;
  /** `schema.table`, quoted where needed, for CREATE PUBLICATION. */
  qualified: string;
}

const TABLES_SQL = `
SELECT t.name, c.oid::text AS oid,
       CASE WHEN c.oid IS NOT NULL THEN format('%I.%I', n.nspname, c.relname) END AS qualified,
       CASE c.relreplident WHEN 'd' THEN 'default' WHEN 'f' THEN 'full'
                           WHEN 'n' THEN 'nothing' WHEN 'i' THEN 'index' END AS identity,
       ARRAY(SELECT a.attname::text FROM pg_attribute a
             WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
             ORDER BY a.attnum) AS columns,
       ARRAY(SELECT a.attname::text FROM pg_index i
             JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
             WHERE i.indrelid = c.oid AND i.indisprimary) AS primary_key
FROM unnest($1::text[]) WITH ORDINALITY AS t(name, position)
LEFT JOIN pg_class c ON c.oid = to_regclass(t.name)
LEFT JOIN pg_namespace n ON n.oid = c.relnamespace
ORDER BY t.position`;

/**
 * The four tables, checked before anything is created: each must exist with exactly the
 * data model's columns (a read would stop on any difference anyway), and with a replica
 * identity whose deletes carry the id. Publishing a table without one would make the
 * application's own UPDATE and DELETE on it fail, so that is refused here, not discovered.
 */
export async function inspectSourceTables(db: Queryable): Promise<SourceTable[]> {
  const { rows } = await db.query(TABLES_SQL, [ENTITY_NAMES]);
  const problems: string[] = [];
  for (const row of rows) {
    if (row.oid === null) {
      problems.push(`table ${row.name} not found`);
      continue;
    }
    const difference = columnDifference(row.name, row.columns);
    if (difference) problems.push(`${row.name}: ${difference}`);
    const identity = replicaIdentityProblem(row.identity);
    if (identity)
      problems.push(
        `${row.name}: ${identity} (ALTER TABLE ${row.qualified} REPLICA IDENTITY DEFAULT)`,
      );
    else if (
      row.identity === 'default' &&
      (row.primary_key.length !== 1 || row.primary_key[0] !== 'id')
    ) {
      problems.push(`${row.name}: the primary key is (${row.primary_key.join(', ')}), not (id)`);
    }
  }
  if (problems.length > 0) {
    throw syncError(
      'SYNC_SCHEMA_MISMATCH',
      `the source tables do not match the data model (docs/data-model.md), so the sync would stop on their changes: ${problems.join('; ')}`,
      409,
    );
  }
  return rows.map((row) => ({ name: row.name, oid: row.oid, qualified: row.qualified }));
}
