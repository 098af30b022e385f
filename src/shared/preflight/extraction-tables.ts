import { EntityName } from '../entities/entity';

/**
 * The tables each entity's extraction SQL reads (its joins and aggregates embed data from
 * them): sampling an entity needs all of them with their columns.
 */
export const EXTRACTION_TABLES: Record<EntityName, readonly EntityName[]> = {
  users: ['users'],
  posts: ['posts', 'users', 'comments', 'votes'],
  comments: ['comments', 'posts', 'users', 'votes'],
  votes: ['votes', 'users', 'posts', 'comments'],
};

export const canExtract = (entity: EntityName, completeTables: readonly EntityName[]): boolean =>
  EXTRACTION_TABLES[entity].every((table) => completeTables.includes(table));
