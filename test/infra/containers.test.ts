import fs from 'node:fs';
import path from 'node:path';
import type { CosmosClient } from '@azure/cosmos';
import { describe, expect, it } from 'vitest';
import definitions from '../../src/shared/cosmos/containers.json';
import { CONTAINERS } from '../../src/shared/cosmos/containers';
import { initTarget, ThroughputMode } from '../../src/shared/cosmos/target';
import {
  bodyObject,
  compact,
  descendants,
  evaluate,
  INFRA,
  loadBicep,
  Node,
  properties,
  ROOT,
  stringLiteral,
  variable,
  variableNames,
} from './bicep';

const COSMOS = path.join(INFRA, 'app/cosmos.bicep');
const CONTAINERS_JSON = path.join(ROOT, 'src/shared/cosmos/containers.json');
const MODES: ThroughputMode[] = ['manual', 'autoscale', 'serverless'];

const cosmos = loadBicep(COSMOS);

/** The `var x = loadJsonContent('...')` of cosmos.bicep: variable name and file it loads. */
function loadedDefinitions(): { name: string; file: string } {
  for (const name of variableNames(cosmos)) {
    const value = variable(cosmos, name)!;
    if (
      value.type === 'call_expression' &&
      value.childForFieldName('function')?.text === 'loadJsonContent'
    ) {
      const argument = stringLiteral(value.childForFieldName('arguments')!.namedChildren[0]);
      return { name, file: path.resolve(path.dirname(COSMOS), argument!) };
    }
  }
  throw new Error('cosmos.bicep has no loadJsonContent variable');
}

function resourceOfType(type: string): Node {
  const resource = descendants(cosmos.tree.rootNode, 'resource_declaration').find((node) =>
    stringLiteral(node.namedChildren[1])?.startsWith(`${type}@`),
  );
  if (!resource) throw new Error(`no ${type} in cosmos.bicep`);
  return resource;
}

/** What Bicep sends to ARM for one container in one throughput mode. */
function bicepContainer(definition: (typeof CONTAINERS)[number], mode: ThroughputMode) {
  const resource = resourceOfType('Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers');
  const loop = resource.namedChildren.find((node) => node.type === 'for_statement')!;
  const item = loop.childForFieldName('initializer')!.text;
  const body = bodyObject(resource)!;
  const scope = { [item]: definition, throughputMode: mode };
  return {
    name: evaluate(properties(body).get('name')!, scope),
    properties: evaluate(properties(body).get('properties')!, scope) as {
      resource: Record<string, unknown>;
      options: Record<string, unknown>;
    },
  };
}

/** What the code (`cosmos-migration init-target`, local servers) sends for each container. */
async function codeContainers(mode: ThroughputMode): Promise<Record<string, unknown>[]> {
  const bodies: Record<string, unknown>[] = [];
  const client = {
    databases: {
      createIfNotExists: async () => ({
        database: {
          containers: {
            createIfNotExists: async (body: Record<string, unknown>) => {
              bodies.push(body);
              return { statusCode: 201 };
            },
          },
        },
      }),
    },
  } as unknown as CosmosClient;
  await initTarget(client, 'social_pulse', mode);
  return bodies;
}

describe('infra: Cosmos DB containers have one source of truth', () => {
  it('cosmos.bicep loads src/shared/cosmos/containers.json, the file containers.ts imports', () => {
    const { file } = loadedDefinitions();
    expect(file).toBe(CONTAINERS_JSON);
    expect(cosmos.source).toContain("loadJsonContent('../../src/shared/cosmos/containers.json')");
    const containersTs = fs.readFileSync(
      path.join(ROOT, 'src/shared/cosmos/containers.ts'),
      'utf8',
    );
    expect(containersTs).toMatch(/import definitions from '\.\/containers\.json'/);
    expect(CONTAINERS).toBe(definitions.containers);
  });

  it('holds the containers of the data model with their partition keys', () => {
    expect(definitions.database).toBe('social_pulse');
    expect(Object.fromEntries(CONTAINERS.map((c) => [c.name, c.partitionKeyPath]))).toEqual({
      users: '/pk',
      posts: '/pk',
      comments: '/pk',
      votes: '/pk',
      migration: '/pk',
      leases: '/id',
    });
  });

  it('creates one container per definition, in the database the definitions name', () => {
    const { name } = loadedDefinitions();
    const resource = resourceOfType(
      'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers',
    );
    const loop = resource.namedChildren.find((node) => node.type === 'for_statement')!;
    expect(loop.namedChildren[1]!.text).toBe(`${name}.containers`);
    const database = bodyObject(
      resourceOfType('Microsoft.DocumentDB/databaseAccounts/sqlDatabases'),
    )!;
    expect(evaluate(properties(database).get('name')!, { [name]: definitions })).toBe(
      'social_pulse',
    );
  });

  it('uses every field of every definition', () => {
    const resource = resourceOfType(
      'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers',
    );
    const loop = resource.namedChildren.find((node) => node.type === 'for_statement')!;
    const item = loop.childForFieldName('initializer')!.text;
    const used = new Set(
      descendants(loop, 'member_expression')
        .filter((node) => node.childForFieldName('object')?.text === item)
        .map((node) => node.childForFieldName('property')!.text),
    );
    const fields = new Set(CONTAINERS.flatMap((definition) => Object.keys(definition)));
    expect([...fields].filter((field) => !used.has(field))).toEqual([]);
  });

  for (const mode of MODES) {
    it(`sends what the code creates locally, ${mode} throughput`, async () => {
      const code = await codeContainers(mode);
      expect(code.map((body) => body.id)).toEqual(CONTAINERS.map((c) => c.name));
      for (const [index, definition] of CONTAINERS.entries()) {
        const bicep = bicepContainer(definition, mode);
        const local = code[index]!;
        expect(bicep.name).toBe(local.id);
        expect(bicep.properties.resource.id).toBe(local.id);
        const partitionKey = local.partitionKey as { paths: string[]; version: number };
        expect(bicep.properties.resource.partitionKey).toEqual({ ...partitionKey, kind: 'Hash' });
        expect(partitionKey.version).toBe(2);
        expect(bicep.properties.resource.indexingPolicy).toEqual(local.indexingPolicy);
        const options = bicep.properties.options;
        if (mode === 'manual') {
          expect(options).toEqual({ throughput: local.throughput });
          expect(local.throughput).toBe(definition.throughput);
        } else if (mode === 'autoscale') {
          expect(options).toEqual({ autoscaleSettings: { maxThroughput: local.maxThroughput } });
          expect(local.maxThroughput).toBe(definition.autoscaleMaxThroughput);
        } else {
          expect(options).toEqual({});
          expect(local.throughput ?? local.maxThroughput).toBeUndefined();
        }
      }
    });
  }

  it('matches the throughput defaults of the data model and the index policies', () => {
    const byName = Object.fromEntries(CONTAINERS.map((c) => [c.name, c]));
    expect(byName.users!.throughput).toBe(400);
    expect(byName.posts!.throughput).toBe(1000);
    expect(byName.comments!.throughput).toBe(600);
    expect(byName.votes!.throughput).toBe(400);
    const posts = bicepContainer(byName.posts!, 'manual').properties.resource;
    expect(JSON.stringify(posts.indexingPolicy)).toContain('/sentiment/analysis/*');
    expect(bicepContainer(byName.users!, 'manual').properties.resource).not.toHaveProperty(
      'indexingPolicy',
    );
    // Tombstones (and the router's metric windows) expire by their own ttl only where TTL is on.
    for (const name of ['comments', 'votes', 'migration']) {
      expect(bicepContainer(byName[name]!, 'manual').properties.resource).toMatchObject({
        defaultTtl: -1,
      });
    }
    expect(bicepContainer(byName.posts!, 'manual').properties.resource).not.toHaveProperty(
      'defaultTtl',
    );
  });

  it('makes a serverless account only in serverless mode, always with continuous backup', () => {
    const account = bodyObject(resourceOfType('Microsoft.DocumentDB/databaseAccounts'))!;
    const props = properties(properties(account).get('properties')!);
    const serverless = (mode: string) =>
      evaluate(props.get('capabilities')!, { serverless: mode === 'serverless' });
    expect(serverless('serverless')).toEqual([{ name: 'EnableServerless' }]);
    expect(serverless('manual')).toEqual([]);
    expect(compact(props.get('backupPolicy')!.text)).toContain("type: 'Continuous'");
    expect(compact(props.get('consistencyPolicy')!.text)).toContain(
      "defaultConsistencyLevel: 'Session'",
    );
    expect(props.get('disableLocalAuth')!.text).toBe('true');
  });
});
