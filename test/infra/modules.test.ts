import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  descendants,
  filesUnder,
  INFRA,
  loadBicep,
  modules,
  outputs,
  params,
  ROOT,
  stringLiteral,
} from './bicep';

const files = filesUnder(INFRA, '.bicep');
const main = loadBicep(path.join(INFRA, 'main.bicep'));
const rel = (file: string) => path.relative(ROOT, file);

describe('infra: modules', () => {
  const wiring = files.flatMap((file) =>
    modules(loadBicep(file)).map((module) => ({ file, module })),
  );

  it('are all local files (no registry module the tests cannot see)', () => {
    expect(wiring.length).toBeGreaterThanOrEqual(8);
    for (const { file, module } of wiring) {
      expect(module.path, `${rel(file)}:${module.line}`).toMatch(/^[\w./-]+\.bicep$/);
    }
  });

  it.each(wiring.map(({ file, module }) => [`${rel(file)} → ${module.name}`, file, module]))(
    '%s: the path exists, every param passed is declared, every required param is passed',
    (_name, file, module) => {
      const target = path.resolve(path.dirname(file as string), module!.path);
      expect(fs.existsSync(target), `${module!.path} from ${rel(file as string)}`).toBe(true);
      const declared = params(loadBicep(target));
      const names = new Set(declared.map((param) => param.name));
      const undeclared = module!.params.filter((name) => !names.has(name));
      expect(undeclared, `passed to ${rel(target)} but not declared there`).toEqual([]);
      const required = declared.filter((param) => !param.hasDefault && !param.nullable);
      const missing = required
        .map((param) => param.name)
        .filter((n) => !module!.params.includes(n));
      expect(missing, `required by ${rel(target)} but not passed`).toEqual([]);
    },
  );

  it('every module file is used by main.bicep', () => {
    const used = new Set(modules(main).map((module) => path.resolve(INFRA, module.path)));
    const moduleFiles = files.filter((file) => file !== main.file);
    expect(moduleFiles.filter((file) => !used.has(file)).map(rel)).toEqual([]);
  });
});

describe('infra: parameters and outputs', () => {
  it.each(files.map((file) => [rel(file), file]))(
    '%s: every param and output has a @description',
    (_name, file) => {
      const bicep = loadBicep(file!);
      const undocumented = [...params(bicep), ...outputs(bicep)]
        .filter((declaration) => !declaration.decorators.has('description'))
        .map((declaration) => declaration.name);
      expect(undocumented).toEqual([]);
    },
  );

  it('main.bicep outputs are UPPER_SNAKE (azd environment variables)', () => {
    const names = outputs(main).map((output) => output.name);
    expect(names.length).toBeGreaterThan(10);
    expect(names.filter((name) => !/^[A-Z][A-Z0-9_]*$/.test(name))).toEqual([]);
    // AZURE_CLIENT_ID would clash with the pipeline's own sign-in in the azd environment.
    expect(names).not.toContain('AZURE_CLIENT_ID');
  });

  it('main.parameters.json names only params of main.bicep, and every required one', () => {
    const file = JSON.parse(fs.readFileSync(path.join(INFRA, 'main.parameters.json'), 'utf8')) as {
      parameters: Record<string, { value: unknown }>;
    };
    const declared = params(main);
    const given = Object.keys(file.parameters);
    const names = new Set(declared.map((param) => param.name));
    expect(given.filter((name) => !names.has(name))).toEqual([]);
    const required = declared.filter((param) => !param.hasDefault).map((param) => param.name);
    expect(required.filter((name) => !given.includes(name))).toEqual([]);
    expect(file.parameters.environmentName?.value).toBe('${AZURE_ENV_NAME}');
    expect(file.parameters.location?.value).toBe('${AZURE_LOCATION}');
    expect(file.parameters.principalId?.value).toBe('${AZURE_PRINCIPAL_ID}');
    for (const [name, { value }] of Object.entries(file.parameters)) {
      expect(value, name).toMatch(/^\$\{[A-Z][A-Z0-9_]*(=[^}]*)?\}$/);
    }
  });

  it('names resources from abbreviations.json keys that exist', () => {
    const abbreviations = JSON.parse(
      fs.readFileSync(path.join(INFRA, 'abbreviations.json'), 'utf8'),
    ) as Record<string, string>;
    const used = [...main.source.matchAll(/\babbrs\.(\w+)/g)].map((match) => match[1]!);
    expect(used.length).toBeGreaterThan(5);
    expect(used.filter((key) => !(key in abbreviations))).toEqual([]);
    expect(main.source).toContain('uniqueString(subscription().id, environmentName, location)');
    expect(main.source).toMatch(/'azd-env-name': environmentName/);
  });
});

describe('infra: azd', () => {
  const azureYaml = fs.readFileSync(path.join(ROOT, 'azure.yaml'), 'utf8');

  it('has one service, the function app, whose name is the azd-service-name tag', () => {
    const services = azureYaml.split(/^services:\n/m)[1]!.split(/^\S/m)[0]!;
    const names = [...services.matchAll(/^ {2}([\w-]+):$/gm)].map((match) => match[1]);
    expect(names).toEqual(['api']);
    expect(services).toMatch(/^ {4}host: function$/m);
    expect(services).toMatch(/^ {4}language: ts$/m);
    const functionApp = loadBicep(path.join(INFRA, 'app/function-app.bicep'));
    expect(functionApp.source).toContain("'azd-service-name': serviceName");
    expect(main.source).toContain("var serviceName = 'api'");
  });

  it('runs hook scripts that exist and are executable', () => {
    const scripts = [...azureYaml.matchAll(/^\s+run: (\S+)$/gm)].map((match) => match[1]!);
    expect(scripts.length).toBeGreaterThan(0);
    for (const script of scripts) {
      const file = path.join(ROOT, script);
      expect(fs.existsSync(file), script).toBe(true);
      expect(fs.statSync(file).mode & 0o111, `${script} is executable`).not.toBe(0);
    }
  });

  it('seeds every feature flag of the cutover, disabled, only when missing', () => {
    const seed = fs.readFileSync(path.join(ROOT, 'scripts/seed-feature-flags.sh'), 'utf8');
    for (const flag of [
      'Migration.Enabled',
      'Cutover.DualWrite',
      'Cutover.CosmosReads',
      'Cutover.CosmosWrites',
    ]) {
      expect(seed).toMatch(new RegExp(`^seed_flag '${flag.replace('.', '\\.')}'`, 'm'));
    }
    expect(seed).toContain('"enabled":false');
    expect(seed).toContain('Microsoft.Targeting');
    expect(seed).toContain("seed_key 'Cutover:DualWriteStrategy' 'PostgresFirst'");
    expect(seed).toContain('--auth-mode login');
    expect(seed).toMatch(/if key_exists/);
  });

  it('main.bicep passes the identity, not a key, to the function app', () => {
    const identityRefs = descendants(main.tree.rootNode, 'member_expression').filter((node) =>
      node.text.startsWith('identity.outputs.'),
    );
    expect(identityRefs.map((node) => node.text)).toEqual(
      expect.arrayContaining(['identity.outputs.id', 'identity.outputs.clientId']),
    );
    expect(stringLiteral(null)).toBeUndefined();
  });
});
