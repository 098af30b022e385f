import { ENTITY_NAMES, type EntityName } from '../../entities/entity';
import { EXPECTED_COLUMNS } from '../../preflight/expected-schema';

/**
 * The source tables the sync follows, by name. Anything else that reaches the stream (a table
 * someone added to the publication by hand) is not this sync's business and is skipped.
 */
export function syncedTable(name: string): EntityName | null {
  return (ENTITY_NAMES as readonly string[]).includes(name) ? (name as EntityName) : null;
}

/**
 * How a table's columns differ from the data model (`preflight/expected-schema.ts`), or null.
 * Stricter than preflight, which tolerates extra columns: an added column during a sync is a
 * schema change the transform was not written for, so any difference stops the sync.
 */
export function columnDifference(table: EntityName, columns: readonly string[]): string | null {
  const expected = Object.keys(EXPECTED_COLUMNS[table]);
  const added = columns.filter((name) => !expected.includes(name));
  const missing = expected.filter((name) => !columns.includes(name));
  const parts = [
    ...(added.length ? [`columns not in the data model: ${added.join(', ')}`] : []),
    ...(missing.length ? [`missing columns: ${missing.join(', ')}`] : []),
  ];
  return parts.length ? parts.join('; ') : null;
}

/**
 * Deletes must carry the id for the sync to know which document goes. DEFAULT (the primary
 * key, id) and FULL (every column) do; NOTHING and USING INDEX do not.
 */
export function replicaIdentityProblem(identity: string): string | null {
  if (identity === 'default' || identity === 'full') return null;
  return `replica identity ${identity.toUpperCase()}: deletes would not carry the id`;
}
