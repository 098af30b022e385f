import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import {
  bodyObject,
  compact,
  descendants,
  filesUnder,
  INFRA,
  loadBicep,
  properties,
  propertyKey,
  ROOT,
  stringLiteral,
  variable,
  variableNames,
} from './bicep';

/**
 * Settings the config module reads that the function app in Azure must NOT get, with why.
 * Everything else config.ts reads has to be set by infra/app/function-app.bicep.
 */
const LOCAL_ONLY: Record<string, string> = {
  DATABASE_URL: 'may hold a password; in Azure the source is DATABASE_HOST/NAME/USER + Entra token',
  COSMOS_ENDPOINT: 'local name of COSMOS__accountEndpoint (the identity-based connection)',
  COSMOS_KEY: 'emulators and local servers only; Azure uses managed identity',
  SERVICEBUS_CONNECTION_STRING: 'emulators only; Azure uses SERVICEBUS__fullyQualifiedNamespace',
  COSMOS_MIGRATION_DEBUG: 'stack traces for the CLI',
};

/** Settings for the Functions host and bindings, not read by config.ts. */
const HOST_SETTINGS = [
  'AzureWebJobsStorage__accountName',
  'AzureWebJobsStorage__credential',
  'AzureWebJobsStorage__clientId',
  'APPLICATIONINSIGHTS_CONNECTION_STRING',
  'APPLICATIONINSIGHTS_AUTHENTICATION_STRING',
  'COSMOS__credential',
  'COSMOS__clientId',
  'SERVICEBUS__credential',
  'SERVICEBUS__clientId',
];

/** The keys of the zod object in config.ts (the largest `z.object({...})`), from its syntax. */
function configSettingNames(): string[] {
  const file = path.join(ROOT, 'src/shared/config/config.ts');
  const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest);
  let best: string[] = [];
  const visit = (node: ts.Node) => {
    if (
      ts.isCallExpression(node) &&
      ts.isPropertyAccessExpression(node.expression) &&
      node.expression.expression.getText(source) === 'z' &&
      node.expression.name.text === 'object' &&
      node.arguments[0] &&
      ts.isObjectLiteralExpression(node.arguments[0])
    ) {
      const names = node.arguments[0].properties.flatMap((property) =>
        property.name && (ts.isIdentifier(property.name) || ts.isStringLiteral(property.name))
          ? [property.name.text]
          : [],
      );
      if (names.length > best.length) best = names;
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return best;
}

const functionApp = loadBicep(path.join(INFRA, 'app/function-app.bicep'));
const settingsVariables = variableNames(functionApp).filter((name) => name.endsWith('Settings'));

/** Every key the function app's app settings can hold (all branches of the settings vars). */
function bicepSettingNames(): string[] {
  return settingsVariables.flatMap((name) =>
    descendants(variable(functionApp, name)!, 'object_property').map(propertyKey),
  );
}

describe('infra: the function app sets every setting the config module reads', () => {
  const config = configSettingNames();
  const bicep = bicepSettingNames();

  it('reads the settings of config.ts and of the Bicep', () => {
    expect(config).toEqual(expect.arrayContaining(['DATABASE_URL', 'MIGRATION_QUEUE']));
    expect(config.length).toBeGreaterThan(20);
    expect(settingsVariables).toEqual(expect.arrayContaining(['appSettings']));
    expect(bicep).toEqual(expect.arrayContaining(['COSMOS__accountEndpoint', 'AZURE_CLIENT_ID']));
  });

  it('every local-only exception is a real setting of config.ts and is not set in Azure', () => {
    for (const name of Object.keys(LOCAL_ONLY)) {
      expect(config, name).toContain(name);
      expect(bicep, name).not.toContain(name);
    }
  });

  it.each(configSettingNames().filter((name) => !(name in LOCAL_ONLY)))(
    '%s is set by infra/app/function-app.bicep',
    (name) => {
      expect(
        bicep,
        `config.ts reads ${name}: set it in function-app.bicep, or add it to LOCAL_ONLY with a reason`,
      ).toContain(name);
    },
  );

  it('sets nothing but config settings and Functions host settings', () => {
    const known = new Set([...config, ...HOST_SETTINGS]);
    expect(bicep.filter((name) => !known.has(name))).toEqual([]);
  });

  it('puts every settings variable into the appsettings resource', () => {
    const appsettings = descendants(functionApp.tree.rootNode, 'resource_declaration').find(
      (node) => {
        const body = bodyObject(node);
        return body && stringLiteral(properties(body).get('name')) === 'appsettings';
      },
    );
    expect(appsettings).toBeDefined();
    const value = compact(properties(bodyObject(appsettings!)!).get('properties')!.text);
    for (const name of settingsVariables) expect(value).toContain(name);
  });

  it('uses identity-based connections: managed identity and its client id, no secrets', () => {
    const settings = properties(variable(functionApp, 'appSettings')!);
    const text = (name: string) => compact(settings.get(name)?.text ?? '');
    expect(text('AzureWebJobsStorage__credential')).toBe("'managedidentity'");
    expect(text('SERVICEBUS__credential')).toBe("'managedidentity'");
    expect(text('COSMOS__credential')).toBe("'managedidentity'");
    for (const name of [
      'AzureWebJobsStorage__clientId',
      'SERVICEBUS__clientId',
      'AZURE_CLIENT_ID',
    ]) {
      expect(text(name), name).toBe('identityClientId');
    }
    expect(text('APPLICATIONINSIGHTS_AUTHENTICATION_STRING')).toBe(
      "'ClientId=${identityClientId};Authorization=AAD'",
    );
    expect(compact(variable(functionApp, 'passwordSettings')!.text)).toContain(
      "DATABASE_PASSWORD: '@Microsoft.KeyVault(SecretUri=${postgresPasswordSecretUri})'",
    );
  });

  it('sets the connections and %settings% the function bindings name', () => {
    const sources = filesUnder(path.join(ROOT, 'src/functions'), '.ts').map((file) =>
      fs.readFileSync(file, 'utf8'),
    );
    const connections = new Set(
      sources.flatMap((source) => [...source.matchAll(/connection:\s*'(\w+)'/g)].map((m) => m[1]!)),
    );
    const placeholders = new Set(
      sources.flatMap((source) => [...source.matchAll(/%(\w+)%/g)].map((m) => m[1]!)),
    );
    expect(connections).toContain('SERVICEBUS');
    expect(placeholders).toContain('MIGRATION_QUEUE');
    for (const connection of connections) {
      const identityBased = bicep.filter((name) => name.startsWith(`${connection}__`));
      expect(identityBased, `connection ${connection}`).toEqual(
        expect.arrayContaining([`${connection}__credential`, `${connection}__clientId`]),
      );
      expect(
        identityBased.some((name) =>
          /__(fullyQualifiedNamespace|accountEndpoint|accountName|serviceUri)$/.test(name),
        ),
        `connection ${connection} names its service`,
      ).toBe(true);
    }
    for (const placeholder of placeholders)
      expect(bicep, `%${placeholder}%`).toContain(placeholder);
  });

  it('creates the queues the app uses, with the delivery count the app expects', () => {
    const main = loadBicep(path.join(INFRA, 'main.bicep'));
    expect(stringLiteral(variable(main, 'migrationQueueName'))).toBe('migration-batches');
    expect(stringLiteral(variable(main, 'validationQueueName'))).toBe('validation-batches');
    expect(compact(main.source)).toContain('maxDeliveryCount: migrationMaxDeliveryCount');
    expect(compact(main.source)).toContain('migrationMaxDeliveryCount: migrationMaxDeliveryCount');
  });
});
