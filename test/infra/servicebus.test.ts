import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  bodyObject,
  compact,
  descendants,
  evaluate,
  INFRA,
  loadBicep,
  type Node,
  properties,
  stringLiteral,
  variable,
} from './bicep';

const main = loadBicep(path.join(INFRA, 'main.bicep'));
const serviceBus = loadBicep(path.join(INFRA, 'app/servicebus.bicep'));
const functionApp = loadBicep(path.join(INFRA, 'app/function-app.bicep'));
const rbac = loadBicep(path.join(INFRA, 'app/rbac.bicep'));

function resourcesOfType(file: typeof main, type: string): Node[] {
  return descendants(file.tree.rootNode, 'resource_declaration').filter((node) =>
    stringLiteral(node.namedChildren[1])?.startsWith(`${type}@`),
  );
}

function moduleParams(name: string): Map<string, Node> {
  const module = descendants(main.tree.rootNode, 'module_declaration').find(
    (node) => node.namedChildren[0]!.text === name,
  );
  expect(module, `module ${name} in main.bicep`).toBeDefined();
  return properties(properties(bodyObject(module!)!).get('params')!);
}

describe('infra: Service Bus queues', () => {
  const queueVariables = {
    migrationQueueName: 'migration-batches',
    validationQueueName: 'validation-batches',
    syncQueueName: 'sync-batches',
  };

  it('main.bicep names the migration, validation and sync queues', () => {
    for (const [name, queue] of Object.entries(queueVariables)) {
      expect(stringLiteral(variable(main, name)), name).toBe(queue);
    }
    const queueNames = evaluate(moduleParams('serviceBus').get('queueNames')!, queueVariables);
    expect(queueNames).toEqual(['migration-batches', 'validation-batches', 'sync-batches']);
  });

  it('creates every queue from one definition, so sync-batches has the same properties', () => {
    const queues = resourcesOfType(serviceBus, 'Microsoft.ServiceBus/namespaces/queues');
    expect(queues).toHaveLength(1);
    const loop = queues[0]!.namedChildren.find((node) => node.type === 'for_statement');
    expect(loop?.namedChildren[1]!.text).toBe('queueNames');
    const props = properties(properties(bodyObject(queues[0]!)!).get('properties')!);
    const text = (name: string) => compact(props.get(name)?.text ?? '');
    expect(text('requiresDuplicateDetection')).toBe('true');
    expect(text('duplicateDetectionHistoryTimeWindow')).toBe('duplicateDetectionWindow');
    expect(text('maxDeliveryCount')).toBe('maxDeliveryCount');
    expect(text('lockDuration')).toBe('lockDuration');
    expect(text('deadLetteringOnMessageExpiration')).toBe('true');
    expect(text('defaultMessageTimeToLive')).toBe('messageTimeToLive');
    expect(text('requiresSession')).toBe('false');
    // The delivery count the queues get is the one the app reads.
    expect(compact(moduleParams('serviceBus').get('maxDeliveryCount')!.text)).toBe(
      'migrationMaxDeliveryCount',
    );
  });

  it('passes the sync queue to the function app as SYNC_QUEUE (default sync-batches)', () => {
    expect(moduleParams('functionApp').get('syncQueueName')!.text).toBe('syncQueueName');
    const param = functionApp.tree.rootNode.namedChildren.find(
      (node) =>
        node.type === 'parameter_declaration' && node.namedChildren[0]!.text === 'syncQueueName',
    );
    expect(stringLiteral(param?.namedChildren[2])).toBe('sync-batches');
    const settings = properties(variable(functionApp, 'appSettings')!);
    expect(settings.get('SYNC_QUEUE')?.text).toBe('syncQueueName');
    expect(settings.get('MIGRATION_QUEUE')?.text).toBe('migrationQueueName');
    expect(settings.get('VALIDATION_QUEUE')?.text).toBe('validationQueueName');
    const output = main.tree.rootNode.namedChildren.find(
      (node) => node.type === 'output_declaration' && node.namedChildren[0]!.text === 'SYNC_QUEUE',
    );
    expect(output?.namedChildren.at(-1)!.text).toBe('syncQueueName');
  });

  it('grants the Service Bus data roles on the namespace, so they cover every queue', () => {
    const assignments = resourcesOfType(rbac, 'Microsoft.Authorization/roleAssignments').filter(
      (node) => node.namedChildren[0]!.text === 'serviceBusRoleAssignments',
    );
    expect(assignments).toHaveLength(1);
    const scope = properties(bodyObject(assignments[0]!)!).get('scope')!.text;
    expect(scope).toBe('serviceBus');
    const namespace = descendants(rbac.tree.rootNode, 'resource_declaration').find(
      (node) => node.namedChildren[0]!.text === 'serviceBus',
    )!;
    expect(stringLiteral(namespace.namedChildren[1])).toMatch(
      /^Microsoft\.ServiceBus\/namespaces@/,
    );
    expect(rbac.source).not.toMatch(/ServiceBus\/namespaces\/queues/);
  });
});
