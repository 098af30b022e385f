import { AppConfigurationClient } from '@azure/app-configuration';
import { TokenCredential } from '@azure/identity';
import { ServiceBusClient } from '@azure/service-bus';
import { AppConfig } from '../config/config';
import { notConfigured } from './probes';
import { ProbeResult, ReachabilityProbe } from './ports';

const TRY_ONCE_TIMEOUT_MS = 10_000;

/** Peeks one message of the migration queue: proves the namespace, the queue and the Listen right. */
export class ServiceBusProbe implements ReachabilityProbe {
  readonly id = 'serviceBus';
  readonly title = 'Service Bus reachable';

  constructor(
    private readonly target: { fullyQualifiedNamespace?: string; connectionString?: string },
    private readonly queue: string,
    private readonly credential: () => TokenCredential,
  ) {}

  async check(signal: AbortSignal): Promise<ProbeResult> {
    const options = { retryOptions: { maxRetries: 0, timeoutInMs: TRY_ONCE_TIMEOUT_MS } };
    const client = this.target.connectionString
      ? new ServiceBusClient(this.target.connectionString, options)
      : new ServiceBusClient(this.target.fullyQualifiedNamespace!, this.credential(), options);
    try {
      const receiver = client.createReceiver(this.queue);
      try {
        const peeked = await receiver.peekMessages(1, { abortSignal: signal });
        return {
          verdict: 'pass',
          reason: `queue ${this.queue} on ${client.fullyQualifiedNamespace} answered (${peeked.length ? 'has messages' : 'empty'})`,
        };
      } finally {
        await receiver.close();
      }
    } finally {
      await client.close();
    }
  }
}

/** Lists the first page of feature flags: proves the store and the data-reader right. */
export class AppConfigurationProbe implements ReachabilityProbe {
  readonly id = 'appConfiguration';
  readonly title = 'App Configuration reachable';

  constructor(
    private readonly endpoint: string,
    private readonly credential: () => TokenCredential,
  ) {}

  async check(signal: AbortSignal): Promise<ProbeResult> {
    const client = new AppConfigurationClient(this.endpoint, this.credential(), {
      retryOptions: { maxRetries: 0 },
    });
    const page = await client
      .listConfigurationSettings({ keyFilter: '.appconfig.featureflag/*', abortSignal: signal })
      .byPage()
      .next();
    const flags = page.done ? 0 : page.value.items.length;
    return {
      verdict: 'pass',
      reason: `${new URL(this.endpoint).host} answered (${flags} feature flag${flags === 1 ? '' : 's'} on the first page)`,
    };
  }
}

/** The probes for what the configuration names; what it does not name is reported as not configured. */
export function reachabilityProbes(
  config: AppConfig,
  credential: () => TokenCredential,
): ReachabilityProbe[] {
  const { serviceBus, appConfiguration } = config;
  return [
    serviceBus.connectionString || serviceBus.fullyQualifiedNamespace
      ? new ServiceBusProbe(serviceBus, serviceBus.migrationQueue, credential)
      : notConfigured(
          'serviceBus',
          'Service Bus reachable',
          'not configured (SERVICEBUS__fullyQualifiedNamespace unset; local mode uses an in-process queue)',
        ),
    appConfiguration.endpoint
      ? new AppConfigurationProbe(appConfiguration.endpoint, credential)
      : notConfigured(
          'appConfiguration',
          'App Configuration reachable',
          'not configured (APP_CONFIGURATION_ENDPOINT unset; cutover flags need it in Azure)',
        ),
  ];
}
