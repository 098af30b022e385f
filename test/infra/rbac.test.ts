import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  bodyObject,
  compact,
  descendants,
  evaluateVariables,
  INFRA,
  loadBicep,
  properties,
  stringLiteral,
  variable,
  evaluate,
} from './bicep';

const rbac = loadBicep(path.join(INFRA, 'app/rbac.bicep'));
const main = loadBicep(path.join(INFRA, 'main.bicep'));

const ROLE_NAMES: Record<string, string> = {
  'b7e6dc6d-f1e8-4753-8033-0f276bb0955b': 'Storage Blob Data Owner',
  '974c5e8b-45b9-4653-ba55-5f855dd0fb88': 'Storage Queue Data Contributor',
  '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3': 'Storage Table Data Contributor',
  '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39': 'Azure Service Bus Data Sender',
  '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0': 'Azure Service Bus Data Receiver',
};

interface Assignment {
  principal: { id: string; type: string };
  role: string;
}

function assignments(principalId: string, principalType = 'User') {
  const scope = evaluateVariables(rbac, {
    identityPrincipalId: 'identity-object-id',
    principalId,
    principalType,
  });
  const named = (list: unknown) =>
    (list as Assignment[]).map(
      (a) => `${a.principal.id} (${a.principal.type}): ${ROLE_NAMES[a.role]}`,
    );
  return {
    principals: scope.principals as { id: string; type: string }[],
    storage: named(scope.storageAssignments),
    serviceBus: named(scope.serviceBusAssignments),
  };
}

describe('infra: role assignments', () => {
  it('gives the identity and the deploying user the host storage and Service Bus data roles', () => {
    const { principals, storage, serviceBus } = assignments('user-object-id');
    expect(principals).toEqual([
      { id: 'identity-object-id', type: 'ServicePrincipal' },
      { id: 'user-object-id', type: 'User' },
    ]);
    expect(storage.sort()).toEqual([
      'identity-object-id (ServicePrincipal): Storage Blob Data Owner',
      'identity-object-id (ServicePrincipal): Storage Queue Data Contributor',
      'identity-object-id (ServicePrincipal): Storage Table Data Contributor',
      'user-object-id (User): Storage Blob Data Owner',
      'user-object-id (User): Storage Queue Data Contributor',
      'user-object-id (User): Storage Table Data Contributor',
    ]);
    expect(serviceBus.sort()).toEqual([
      'identity-object-id (ServicePrincipal): Azure Service Bus Data Receiver',
      'identity-object-id (ServicePrincipal): Azure Service Bus Data Sender',
      'user-object-id (User): Azure Service Bus Data Receiver',
      'user-object-id (User): Azure Service Bus Data Sender',
    ]);
  });

  it('gives only the identity its roles when no deploying principal is named', () => {
    const { principals, storage, serviceBus } = assignments('');
    expect(principals).toEqual([{ id: 'identity-object-id', type: 'ServicePrincipal' }]);
    expect(storage).toHaveLength(3);
    expect(serviceBus).toHaveLength(2);
  });

  it('takes a pipeline service principal as such', () => {
    expect(assignments('sp-object-id', 'ServicePrincipal').principals[1]).toEqual({
      id: 'sp-object-id',
      type: 'ServicePrincipal',
    });
  });

  it('names each assignment by scope, principal and role, and loops over every principal', () => {
    const resources = descendants(rbac.tree.rootNode, 'resource_declaration').filter((node) =>
      /roleAssignments@/i.test(stringLiteral(node.namedChildren[1]) ?? ''),
    );
    expect(resources).toHaveLength(5);
    for (const resource of resources) {
      const loop = resource.namedChildren.find((node) => node.type === 'for_statement');
      expect(loop, resource.namedChildren[0]!.text).toBeDefined();
      expect(['principals', 'storageAssignments', 'serviceBusAssignments']).toContain(
        loop!.namedChildren[1]!.text,
      );
      const name = compact(properties(bodyObject(resource)!).get('name')!.text);
      expect(name).toMatch(/^guid\(\w+\.id, (principal|assignment\.principal)\.id, /);
    }
  });

  it('main.bicep passes the deploying principal and shares the RU budget over the instances', () => {
    const inputs = {
      cosmosFailoverLocations: 'northeurope, westus3',
      migrationRuBudget: 10_000,
      functionMaximumInstanceCount: 4,
    };
    const value = (name: string, overrides = {}) =>
      evaluate(variable(main, name)!, { ...inputs, ...overrides });
    expect(value('failoverLocations')).toEqual(['northeurope', 'westus3']);
    expect(value('failoverLocations', { cosmosFailoverLocations: '' })).toEqual([]);
    expect(value('ruBudgetPerInstance')).toBe(2500);
    expect(value('ruBudgetPerInstance', { migrationRuBudget: 0 })).toBe(0);
    expect(value('ruBudgetPerInstance', { migrationRuBudget: 3 })).toBe(1);
    const rbacModule = descendants(main.tree.rootNode, 'module_declaration').find(
      (node) => node.namedChildren[0]!.text === 'rbac',
    )!;
    const passed = properties(properties(bodyObject(rbacModule)!).get('params')!);
    expect(passed.get('principalId')!.text).toBe('principalId');
    expect(passed.get('principalType')!.text).toBe('principalType');
    expect(passed.get('identityPrincipalId')!.text).toBe('identity.outputs.principalId');
  });
});
