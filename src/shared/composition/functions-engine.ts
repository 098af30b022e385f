import { appConfig } from '../config/config';
import { createEngine, Engine } from './engine';
import { sharedCredential } from '../identity/credential';
import { ServiceBusQueue } from '../queue/service-bus-queue';

let engine: Engine | undefined;

/** The engine of the function app: created once per host, sending batches to Service Bus. */
export function functionsEngine(): Engine {
  if (!engine) {
    const config = appConfig();
    const { serviceBus } = config;
    engine = createEngine(config, {
      migration: new ServiceBusQueue(serviceBus, serviceBus.migrationQueue, sharedCredential),
      validation: new ServiceBusQueue(serviceBus, serviceBus.validationQueue, sharedCredential),
      sync: new ServiceBusQueue(serviceBus, serviceBus.syncQueue, sharedCredential),
    });
  }
  return engine;
}

/** Composition root override: a host that wires its own adapters (e.g. another queue) sets them here. */
export function useFunctionsEngine(custom: Engine): void {
  engine = custom;
}
