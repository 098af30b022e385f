import { ENTITY_NAMES, EntityName } from '../entities/entity';

/** The source rows a set of changes touched, by table: what a round re-reads. */
export type SourceKeys = Record<EntityName, Set<string>>;

export function emptyKeys(): SourceKeys {
  return Object.fromEntries(ENTITY_NAMES.map((name) => [name, new Set<string>()])) as SourceKeys;
}

export function keyCount(keys: SourceKeys): number {
  return ENTITY_NAMES.reduce((sum, name) => sum + keys[name].size, 0);
}

/** Adds `ids` (skipping null and undefined) to the keys of `entity`. */
export function addKeys(keys: SourceKeys, entity: EntityName, ids: Iterable<unknown>): void {
  for (const id of ids) if (typeof id === 'string' && id !== '') keys[entity].add(id);
}
