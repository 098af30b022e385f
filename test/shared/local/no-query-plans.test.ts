import { Container, CosmosClient } from '@azure/cosmos';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/shared/config/config';
import { createCosmosClient } from '../../../src/shared/cosmos/client';
import { cosmosTarget, uniqueName } from '../../support/servers';

describe('local server: a query-plan request is refused at once instead of run as the query', () => {
  let client: CosmosClient;
  let container: Container;
  let databaseId: string;

  beforeAll(async () => {
    const { endpoint, key } = cosmosTarget();
    client = createCosmosClient(parseConfig({ COSMOS_ENDPOINT: endpoint, COSMOS_KEY: key }).cosmos);
    databaseId = uniqueName('plans');
    const { database } = await client.databases.createIfNotExists({ id: databaseId });
    ({ container } = await database.containers.createIfNotExists({ id: 'c', partitionKey: '/pk' }));
    for (let i = 0; i < 30; i++)
      await container.items.create({ id: `d${i}`, pk: `p${i % 3}`, n: i, type: i % 5 ? 'a' : 'b' });
  });

  afterAll(() => client?.dispose());

  const post = (headers: Record<string, string>) =>
    fetch(`${cosmosTarget().endpoint}/dbs/${databaseId}/colls/c/docs`, {
      method: 'POST',
      headers: {
        'content-type': 'application/query+json',
        'x-ms-documentdb-isquery': 'True',
        'x-ms-documentdb-query-enablecrosspartition': 'True',
        ...headers,
      },
      body: JSON.stringify({ query: 'SELECT * FROM c' }),
    });

  it('answers a plan request with a 400 and runs the same request without the header', async () => {
    const plan = await post({ 'x-ms-cosmos-is-query-plan-request': 'True' });
    expect(plan.status).toBe(400);
    expect(((await plan.json()) as { message: string }).message).toMatch(/no query plans/);
    const query = await post({});
    expect(query.status).toBe(200);
    expect(((await query.json()) as { Documents: unknown[] }).Documents).toHaveLength(30);
  });

  it("leaves the SDK's queries as they were: aggregates, projections, one partition or all", async () => {
    const { resources: aggregate } = await container.items
      .query<{ n: number; newest: number }>(
        "SELECT COUNT(1) AS n, MAX(c.n) AS newest FROM c WHERE c.pk = 'p1' AND c.type = 'a'",
        { partitionKey: 'p1' },
      )
      .fetchAll();
    expect(aggregate).toEqual([{ n: 8, newest: 28 }]);
    const { resources: all } = await container.items
      .query<number>("SELECT VALUE c.n FROM c WHERE c.type = 'b'")
      .fetchAll();
    expect(all.sort((a, b) => a - b)).toEqual([0, 5, 10, 15, 20, 25]);
  });
});
