import { comments } from './comments';
import { EntityModule, EntityName } from './entity';
import { posts } from './posts';
import { users } from './users';
import { votes } from './votes';

/** A row as the source reader returns it; each entity module knows its own shape. */
export type SourceRow = object;

/** Every entity, in load order: parents first, so readers of the target see few dangling references. */
export const ENTITIES: Record<EntityName, EntityModule<SourceRow>> = {
  users,
  posts,
  comments,
  votes,
};

export function entityModule(name: EntityName): EntityModule<SourceRow> {
  return ENTITIES[name];
}
