import { Container, CosmosClient } from '@azure/cosmos';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/shared/config/config';
import { createCosmosClient } from '../../../src/shared/cosmos/client';
import { cosmosTarget, uniqueName } from '../../support/servers';

describe('local server: ARRAY_CONTAINS over a parameter array answers as Cosmos does', () => {
  let client: CosmosClient;
  let container: Container;

  beforeAll(async () => {
    const { endpoint, key } = cosmosTarget();
    client = createCosmosClient(parseConfig({ COSMOS_ENDPOINT: endpoint, COSMOS_KEY: key }).cosmos);
    const { database } = await client.databases.createIfNotExists({ id: uniqueName('contains') });
    ({ container } = await database.containers.createIfNotExists({ id: 'c', partitionKey: '/pk' }));
    await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        container.items.create({ id: `doc-${i}`, pk: `p${i % 7}`, n: i, tags: [`t${i % 3}`] }),
      ),
    );
  });

  afterAll(() => client?.dispose());

  const ids = async (query: string, value: unknown) => {
    const { resources } = await container.items
      .query<{ id: string }>({ query, parameters: [{ name: '@v', value: value as never }] })
      .fetchAll();
    return resources.map((r) => r.id).sort();
  };

  it('finds exactly the listed ids among many, strings and numbers kept apart', async () => {
    const wanted = Array.from({ length: 60 }, (_, i) => `doc-${i * 3}`).concat([
      'missing-1',
      'missing-2',
    ]);
    const expected = Array.from({ length: 60 }, (_, i) => `doc-${i * 3}`)
      .filter((id) => Number(id.slice(4)) < 200)
      .sort();
    expect(await ids('SELECT c.id FROM c WHERE ARRAY_CONTAINS(@v, c.id)', wanted)).toEqual(
      expected,
    );
    const numbers = Array.from({ length: 40 }, (_, i) => i * 5);
    expect(await ids('SELECT c.id FROM c WHERE ARRAY_CONTAINS(@v, c.n)', numbers)).toHaveLength(40);
    // "5" is not 5: a string list does not match a number.
    const strings = numbers.map(String);
    expect(await ids('SELECT c.id FROM c WHERE ARRAY_CONTAINS(@v, c.n)', strings)).toEqual([]);
  });

  it('matches nothing for a document without the field, or with a non-scalar there', async () => {
    const wanted = Array.from({ length: 40 }, (_, i) => `doc-${i}`);
    expect(await ids('SELECT c.id FROM c WHERE ARRAY_CONTAINS(@v, c.absent)', wanted)).toEqual([]);
    expect(await ids('SELECT c.id FROM c WHERE ARRAY_CONTAINS(@v, c.tags)', wanted)).toEqual([]);
    expect(
      await ids('SELECT c.id FROM c WHERE c.n < 5 AND ARRAY_CONTAINS(@v, c.id)', wanted),
    ).toEqual(['doc-0', 'doc-1', 'doc-2', 'doc-3', 'doc-4']);
  });

  it('leaves other uses as they were: objects, partial matches, arrays in documents', async () => {
    const objects = Array.from({ length: 40 }, (_, i) => ({ n: i }));
    expect(
      await ids('SELECT c.id FROM c WHERE ARRAY_CONTAINS(@v, {"n": c.n})', objects),
    ).toHaveLength(40);
    expect(await ids('SELECT c.id FROM c WHERE ARRAY_CONTAINS(c.tags, @v)', 't1')).toHaveLength(67);
  });
});
