import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  bodyObject,
  compact,
  descendants,
  filesUnder,
  INFRA,
  loadBicep,
  params,
  properties,
  ROOT,
  stringLiteral,
} from './bicep';

/** What a key, a secret-bearing connection string or a password looks like in a template. */
const SECRET_PATTERNS: [string, RegExp][] = [
  ['storage account key', /AccountKey\s*=/i],
  ['shared access key', /SharedAccessKey(Name)?\s*=/i],
  ['storage connection string', /DefaultEndpointsProtocol\s*=/i],
  ['Service Bus / Event Hubs connection string', /Endpoint\s*=\s*sb:\/\//i],
  ['instrumentation key literal', /InstrumentationKey\s*=\s*[0-9a-f-]{8,}/i],
  ['SAS signature', /[?&]sig=[\w%]{16,}/],
  ['key listing function', /\blist(Keys|ConnectionStrings|AccountSas|ServiceSas|Secrets)\s*\(/i],
  ['account key property', /\b(primary|secondary)(ReadOnly)?(Master)?Key\b/i],
  ['private key', /-----BEGIN [A-Z ]*PRIVATE KEY-----/],
  [
    'password literal',
    /password['"]?\s*[:=]\s*['"](?!['"]|@Microsoft\.KeyVault\(|\$\{)[^'"\s]+['"]/i,
  ],
  ['administrator password', /administratorLoginPassword|adminPassword/i],
  ['Cosmos DB emulator key', /C2y6yDjf5\/R\+ob0N8A7Cgv30VRDJIWEHLM/],
];

function findSecrets(text: string): string[] {
  return SECRET_PATTERNS.filter(([, pattern]) => pattern.test(text)).map(([what]) => what);
}

const scanned = [
  ...filesUnder(INFRA, ''),
  path.join(ROOT, 'azure.yaml'),
  ...filesUnder(path.join(ROOT, 'scripts'), ''),
  ...(fs.existsSync(path.join(ROOT, '.github')) ? filesUnder(path.join(ROOT, '.github'), '') : []),
];

describe('infra: no key, secret connection string or password', () => {
  it.each(scanned.map((file) => [path.relative(ROOT, file), file]))('%s holds none', (_n, file) => {
    expect(findSecrets(fs.readFileSync(file!, 'utf8'))).toEqual([]);
  });

  it.each([
    ["AzureWebJobsStorage: 'DefaultEndpointsProtocol=https;AccountName=st;AccountKey=abc=='", 2],
    [
      "SERVICEBUS: 'Endpoint=sb://x.servicebus.windows.net/;SharedAccessKeyName=Root;SharedAccessKey=k'",
      2,
    ],
    ['value: storage.listKeys().keys[0].value', 1],
    ['value: listConnectionStrings(cosmos.id, cosmos.apiVersion)', 1],
    ['key: cosmos.listKeys().primaryMasterKey', 2],
    ["administratorLoginPassword: 'Passw0rd!'", 2],
    ["DATABASE_PASSWORD: 'hunter2'", 1],
    ['"password": "hunter2"', 1],
    [
      "APPLICATIONINSIGHTS_CONNECTION_STRING: 'InstrumentationKey=00000000-0000-0000-0000-000000000000'",
      1,
    ],
    ["url: 'https://st.blob.core.windows.net/c?sv=2022-11-02&sig=AbCdEfGhIjKlMnOpQrStUv%3D'", 1],
  ])('flags %s', (snippet, count) => {
    expect(findSecrets(snippet as string)).toHaveLength(count as number);
  });

  it.each([
    "DATABASE_PASSWORD: '@Microsoft.KeyVault(SecretUri=${postgresPasswordSecretUri})'",
    "param postgresPasswordSecretUri string = ''",
    'APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsights.properties.ConnectionString',
    "AzureWebJobsStorage__credential: 'managedidentity'",
  ])('accepts %s', (snippet) => {
    expect(findSecrets(snippet)).toEqual([]);
  });

  it('declares no @secure() param with a default value', () => {
    for (const file of filesUnder(INFRA, '.bicep')) {
      const insecure = params(loadBicep(file)).filter(
        (param) => param.decorators.has('secure') && param.hasDefault,
      );
      expect(
        insecure.map((param) => param.name),
        path.relative(ROOT, file),
      ).toEqual([]);
    }
  });
});

describe('infra: local (key) authentication is off everywhere', () => {
  /** The `properties` object of the first resource of a type in a module. */
  function resourceProperties(module: string, type: string): Map<string, string> {
    const bicep = loadBicep(path.join(INFRA, 'app', module));
    const resource = descendants(bicep.tree.rootNode, 'resource_declaration').find((node) =>
      stringLiteral(node.namedChildren[1])?.startsWith(`${type}@`),
    );
    expect(resource, `${type} in ${module}`).toBeDefined();
    const body = properties(bodyObject(resource!)!);
    const props = body.get('properties')!;
    // `union({ ... }, ...)`: the first argument holds the fixed properties.
    const object =
      props.type === 'object'
        ? props
        : props.childForFieldName('arguments')!.namedChildren.find((n) => n.type === 'object')!;
    return new Map([...properties(object)].map(([key, value]) => [key, compact(value.text)]));
  }

  it.each([
    ['cosmos.bicep', 'Microsoft.DocumentDB/databaseAccounts', 'disableLocalAuth', 'true'],
    [
      'cosmos.bicep',
      'Microsoft.DocumentDB/databaseAccounts',
      'disableKeyBasedMetadataWriteAccess',
      'true',
    ],
    ['servicebus.bicep', 'Microsoft.ServiceBus/namespaces', 'disableLocalAuth', 'true'],
    [
      'appconfig.bicep',
      'Microsoft.AppConfiguration/configurationStores',
      'disableLocalAuth',
      'true',
    ],
    ['monitoring.bicep', 'Microsoft.Insights/components', 'DisableLocalAuth', 'true'],
    ['storage.bicep', 'Microsoft.Storage/storageAccounts', 'allowSharedKeyAccess', 'false'],
    ['storage.bicep', 'Microsoft.Storage/storageAccounts', 'allowBlobPublicAccess', 'false'],
  ])('%s: %s has %s: %s', (module, type, property, value) => {
    expect(resourceProperties(module, type).get(property)).toBe(value);
  });

  it('the function app deploys with its identity and allows no publishing passwords', () => {
    const functionApp = loadBicep(path.join(INFRA, 'app/function-app.bicep')).source;
    expect(compact(functionApp)).toContain(
      "authentication: { type: 'UserAssignedIdentity' userAssignedIdentityResourceId: identityId }",
    );
    const policies = [
      ...functionApp.matchAll(
        /basicPublishingCredentialsPolicies@[\d-]+' = \{[^}]*name: '(\w+)'\s*properties: \{\s*allow: false/g,
      ),
    ].map((match) => match[1]);
    expect(policies.sort()).toEqual(['ftp', 'scm']);
  });

  it('grants the Cosmos DB built-in data contributor through a SQL role assignment', () => {
    const rbac = compact(loadBicep(path.join(INFRA, 'app/rbac.bicep')).source);
    expect(rbac).toContain("cosmosDataContributorRoleId = '00000000-0000-0000-0000-000000000002'");
    expect(rbac).toContain('Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments@');
    for (const role of [
      'b7e6dc6d-f1e8-4753-8033-0f276bb0955b', // Storage Blob Data Owner
      '974c5e8b-45b9-4653-ba55-5f855dd0fb88', // Storage Queue Data Contributor
      '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3', // Storage Table Data Contributor
      '3913510d-42f4-4e42-8a64-420c390055eb', // Monitoring Metrics Publisher
      '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39', // Azure Service Bus Data Sender
      '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0', // Azure Service Bus Data Receiver
      '5ae67dd6-50cb-40e7-96ff-dc2bfa4b606b', // App Configuration Data Owner
    ]) {
      expect(rbac).toContain(role);
    }
  });

  it('makes every role assignment in rbac.bicep', () => {
    for (const file of filesUnder(INFRA, '.bicep')) {
      if (file.endsWith(`${path.sep}rbac.bicep`)) continue;
      expect(loadBicep(file).source, path.relative(ROOT, file)).not.toMatch(
        /roleAssignments@|sqlRoleAssignments@/,
      );
    }
  });
});
