import { ENTITY_NAMES } from '../../src/shared/entities/entity';
import { RowErrorRecord } from '../../src/shared/entities/row-error';
import { entityModule } from '../../src/shared/entities/registry';
import { transformBatch } from '../../src/shared/migration/transform-batch';
import { SourceReader } from '../../src/shared/postgres/source-reader';
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

/** Every document of a container without Cosmos's system properties, by `pk|id`. */
export async function storedDocuments(
  world: TestWorld,
  container: string,
): Promise<Map<string, unknown>> {
  const { resources } = await world.cosmos
    .database(world.database)
    .container(container)
    .items.query<Record<string, unknown>>('SELECT * FROM c')
    .fetchAll();
  return new Map(
    resources.map((resource) => {
      const { _rid, _self, _etag, _attachments, _ts, ...document } = resource;
      void [_rid, _self, _etag, _attachments, _ts];
      return [`${String(document.pk)}|${String(document.id)}`, document];
    }),
  );
}

/**
 * What a fresh extraction of the whole source gives: the documents per container by `pk|id`,
 * and the rows that cannot become documents. `reader` is an engine's: the migration's types.
 */
export async function freshExtraction(
  reader: SourceReader,
): Promise<{ documents: Map<string, Map<string, unknown>>; rowErrors: RowErrorRecord[] }> {
  const documents = new Map<string, Map<string, unknown>>();
  const rowErrors: RowErrorRecord[] = [];
  for (const name of ENTITY_NAMES) {
    const entity = entityModule(name);
    const transformed = transformBatch(
      entity,
      await reader.readBatch(entity, { from: null, to: null }),
    );
    rowErrors.push(...transformed.rowErrors);
    const into = documents.get(entity.container) ?? new Map<string, unknown>();
    // As stored: JSON, without undefined properties.
    for (const document of transformed.documents)
      into.set(`${document.pk}|${document.id}`, JSON.parse(JSON.stringify(document)));
    documents.set(entity.container, into);
  }
  return { documents, rowErrors };
}
