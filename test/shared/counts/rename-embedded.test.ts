import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CosmosNamesStore } from '../../../src/shared/counts/cosmos-names-store';
import { renameEmbedded } from '../../../src/shared/counts/rename-embedded';
import { startMigration } from '../../../src/shared/migration/start-migration';
import { seedSource } from '../../../src/shared/source/seed';
import { createWorld, TestWorld } from '../../support/engine';

type Doc = { id: string; pk: string; type: string } & Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('embedded usernames from changed users', () => {
  let world: TestWorld;

  beforeAll(async () => {
    world = await createWorld('counts_names');
    await seedSource(world.source, { users: 40, seed: 5 });
    const engine = world.engine();
    await startMigration(engine, { batchSize: 500 });
    await engine.localQueue.idle();
  });

  afterAll(() => world?.close());

  const query = async (container: string, sql: string, userId: string) =>
    (
      await world.cosmos
        .database(world.database)
        .container(container)
        .items.query<Doc>({ query: sql, parameters: [{ name: '@id', value: userId }] })
        .fetchAll()
    ).resources;

  it('sets the current username where posts, comments and votes embed another, and nothing when none differs', async () => {
    const users = world.cosmos.database(world.database).container('users');
    const { resources: authors } = await users.items
      .query<Doc>("SELECT * FROM c WHERE c.type = 'user'")
      .fetchAll();
    // A user who has posts, comments and votes.
    let renamed: Doc | undefined;
    for (const user of authors) {
      const [posts, comments, votes] = await Promise.all([
        query('posts', "SELECT c.id FROM c WHERE c.type = 'post' AND c.author.id = @id", user.id),
        query(
          'comments',
          "SELECT c.id FROM c WHERE c.type = 'comment' AND c.author.id = @id",
          user.id,
        ),
        query('votes', "SELECT c.id FROM c WHERE c.type = 'vote' AND c.userId = @id", user.id),
      ]);
      if (posts.length && comments.length && votes.length) {
        renamed = user;
        break;
      }
    }
    expect(renamed).toBeDefined();
    const older = { ...renamed!, username: 'an-older-name' };
    const { resource } = await users.items.upsert({ ...renamed!, username: 'renamed-by-app' });
    const names = new CosmosNamesStore(world.cosmos, world.database);

    // An older delivery of the same user, duplicated: the name in Cosmos now wins.
    const result = await renameEmbedded({ names }, [older, resource as unknown as Doc, older]);
    expect(result.users).toBe(1);
    expect(result.updated.posts).toBeGreaterThan(0);
    expect(result.updated.comments).toBeGreaterThan(0);
    expect(result.updated.votes).toBeGreaterThan(0);
    expect(result.ru).toBeGreaterThan(0);
    const id = renamed!.id;
    for (const [container, field, where] of [
      ['posts', 'author', 'c.author.id'],
      ['comments', 'author', 'c.author.id'],
      ['votes', 'user', 'c.userId'],
    ] as const) {
      const docs = await query(
        container,
        `SELECT * FROM c WHERE c.type != 'tombstone' AND ${where} = @id`,
        id,
      );
      expect(docs.length).toBeGreaterThan(0);
      for (const doc of docs) {
        expect(doc[field]).toMatchObject({
          username: 'renamed-by-app',
          displayName: 'renamed-by-app',
        });
      }
    }

    const again = await renameEmbedded({ names }, [resource as unknown as Doc]);
    expect(again.updated).toEqual({ posts: 0, comments: 0, votes: 0 });
  });
});
