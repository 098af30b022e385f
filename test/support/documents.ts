import { TestWorld } from './engine';

export const DATA_CONTAINERS = ['users', 'posts', 'comments', 'votes'] as const;

/** id -> _etag of every document in a container (small test data only: queries scan locally). */
export async function etags(world: TestWorld, container: string): Promise<Map<string, string>> {
  const { resources } = await world.cosmos
    .database(world.database)
    .container(container)
    .items.query<{ id: string; pk: string; _etag: string }>('SELECT c.id, c.pk, c._etag FROM c')
    .fetchAll();
  return new Map(resources.map((doc) => [`${doc.pk}|${doc.id}`, doc._etag]));
}

/** Documents the source should produce when no row is an error: three per user, one per other row. */
export async function expectedDocuments(
  world: TestWorld,
): Promise<Record<(typeof DATA_CONTAINERS)[number], number>> {
  const { rows } = await world.source.query(
    `SELECT (SELECT count(*) FROM users)::int AS users, (SELECT count(*) FROM posts)::int AS posts,
            (SELECT count(*) FROM comments)::int AS comments, (SELECT count(*) FROM votes)::int AS votes`,
  );
  const counts = rows[0] as Record<string, number>;
  return {
    users: counts.users! * 3,
    posts: counts.posts!,
    comments: counts.comments!,
    votes: counts.votes!,
  };
}
