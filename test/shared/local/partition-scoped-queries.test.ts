import { Container, CosmosClient } from '@azure/cosmos';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/shared/config/config';
import { createCosmosClient } from '../../../src/shared/cosmos/client';
import { cosmosTarget, uniqueName } from '../../support/servers';

describe('local server: a query with a partition key runs over that partition, as in Cosmos', () => {
  let client: CosmosClient;
  let container: Container;

  beforeAll(async () => {
    const { endpoint, key } = cosmosTarget();
    client = createCosmosClient(parseConfig({ COSMOS_ENDPOINT: endpoint, COSMOS_KEY: key }).cosmos);
    const { database } = await client.databases.createIfNotExists({ id: uniqueName('scoped') });
    ({ container } = await database.containers.createIfNotExists({ id: 'c', partitionKey: '/pk' }));
    for (let i = 0; i < 60; i++)
      await container.items.create({ id: `d${i}`, pk: `p${i % 3}`, n: i });
  });

  afterAll(() => client?.dispose());

  const count = async (partitionKey?: string) =>
    (
      await container.items
        .query<number>('SELECT VALUE COUNT(1) FROM c', partitionKey ? { partitionKey } : {})
        .fetchAll()
    ).resources[0];

  it('counts one partition, and every document without one', async () => {
    expect(await count('p1')).toBe(20);
    expect(await count('nowhere')).toBe(0);
    expect(await count()).toBe(60);
  });

  it('follows writes, deletes, and a transactional batch that failed and was undone', async () => {
    await container.items.create({ id: 'new', pk: 'p1', n: 100 });
    await container.item('d1', 'p1').delete();
    expect(await count('p1')).toBe(20);
    const failed = await container.items.batch(
      [
        { operationType: 'Delete', id: 'd4' },
        { operationType: 'Create', resourceBody: { id: 'x', pk: 'p1' } },
        { operationType: 'Read', id: 'no-such-document' },
      ],
      'p1',
    );
    expect(failed.result?.map((r) => r.statusCode)).toEqual([424, 424, 404]);
    expect(await count('p1')).toBe(20);
    const { resources } = await container.items
      .query<{ id: string }>('SELECT c.id FROM c WHERE c.n >= 97', { partitionKey: 'p1' })
      .fetchAll();
    expect(resources.map((r) => r.id)).toEqual(['new']);
  });
});
