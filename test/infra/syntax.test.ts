import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { filesUnder, INFRA, loadBicep, parseBicep, syntaxErrors } from './bicep';

const files = filesUnder(INFRA, '.bicep');

describe('infra: Bicep syntax (tree-sitter-bicep)', () => {
  it('finds the templates', () => {
    const names = files.map((file) => path.relative(INFRA, file));
    expect(names).toContain('main.bicep');
    expect(names).toEqual(
      expect.arrayContaining([
        'app/cosmos.bicep',
        'app/servicebus.bicep',
        'app/appconfig.bicep',
        'app/function-app.bicep',
        'app/storage.bicep',
        'app/monitoring.bicep',
        'app/identity.bicep',
        'app/rbac.bicep',
        'app/alerts.bicep',
      ]),
    );
  });

  it.each(files.map((file) => [path.relative(INFRA, file), file]))(
    '%s parses without a syntax error',
    (_name, file) => {
      expect(syntaxErrors(loadBicep(file!).tree)).toEqual([]);
    },
  );

  it('targets the subscription from main.bicep', () => {
    expect(loadBicep(path.join(INFRA, 'main.bicep')).source).toMatch(
      /^targetScope = 'subscription'$/m,
    );
  });

  describe('catches real syntax errors', () => {
    const valid = `param name string = 'x'
resource store 'Microsoft.AppConfiguration/configurationStores@2024-05-01' = {
  name: name
  location: 'westeurope'
  properties: {
    disableLocalAuth: true
  }
}
output endpoint string = store.properties.endpoint
`;

    it('accepts the valid snippet the broken ones come from', () => {
      expect(syntaxErrors(parseBicep(valid))).toEqual([]);
    });

    it.each([
      ['an unclosed object', valid.replace(/\n}\noutput/, '\noutput')],
      ['an unterminated string', valid.replace("= 'x'", "= 'x")],
      ['a param without a type', valid.replace('param name string', 'param name')],
      ['a resource without its type string', valid.replace(/'Microsoft[^']*' /, '')],
      ['a stray token', valid.replace('disableLocalAuth: true', 'disableLocalAuth: true true ]')],
      ['a ternary without its else branch', valid.replace("= 'x'", "= true ? 'x'")],
    ])('rejects %s', (_what, broken) => {
      expect(broken).not.toBe(valid);
      expect(syntaxErrors(parseBicep(broken!)).length).toBeGreaterThan(0);
    });
  });
});
