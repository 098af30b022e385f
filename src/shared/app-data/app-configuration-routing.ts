import type { AppConfigurationClientOptions } from '@azure/app-configuration';
import type { AzureAppConfiguration } from '@azure/app-configuration-provider' with {
  'resolution-mode': 'import',
};
import type { TokenCredential } from '@azure/core-auth';
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import { ConfigurationMapFeatureFlagProvider } from '@microsoft/feature-management';
import { AppError, errorMessage } from '../errors/app-error';
import {
  DUAL_WRITE_STRATEGIES,
  DUAL_WRITE_STRATEGY_KEY,
  DualWriteStrategy,
} from '../flags/feature-flags';
import {
  FlagRoutingOptions,
  POSTGRES_ONLY,
  readErrorMessage,
  Routing,
  RoutingSource,
  routingFrom,
} from './flag-routing';

export interface AppConfigurationRoutingOptions extends Pick<FlagRoutingOptions, 'onReadError'> {
  /** The flags are refreshed at most this often (the provider's minimum is 1 s). */
  refreshMs: number;
  /** A request waits at most this long for the first load; until it succeeds, postgres-only. */
  startupTimeoutMs: number;
  /** Passed to the App Configuration client (tests: TLS trust). */
  clientOptions?: AppConfigurationClientOptions;
  /** Replica discovery by DNS SRV lookups (default on, as the provider's). */
  replicaDiscoveryEnabled?: boolean;
}

/** The provider refuses refresh intervals below this. */
const MIN_REFRESH_MS = 1000;

/** A failed answer as the client saw it: a status, or the error when there was none. */
function failureOf(status: number | undefined, error?: unknown): string | undefined {
  if (status === undefined) return error === undefined ? undefined : errorMessage(error);
  // 304: a page not changed since its etag; 404: a key not there.
  return status >= 400 && status !== 404 ? `HTTP ${status}` : undefined;
}

/** An error with its causes: the provider wraps what failed ("The load operation failed."). */
function causeChain(error: unknown): string {
  const messages: string[] = [];
  for (let e: unknown = error; e !== undefined && messages.length < 5;) {
    messages.push(errorMessage(e).replace(/\.$/, ''));
    e = e instanceof Error ? e.cause : undefined;
  }
  return messages.join(': ');
}

/**
 * The routing from the cutover flags in App Configuration, loaded and refreshed by
 * @azure/app-configuration-provider and evaluated by Feature Management like `FlagRouting`'s.
 * Refreshing never slows a request: a call after the interval starts a refresh in the background
 * and gets the routing in force; the routing is rebuilt when the refresh changed something. A
 * failed refresh keeps the flags read last. Before the first load succeeds the router acts as
 * in postgres-only, a request waits at most `startupTimeoutMs` for it, and a failed load is
 * tried again at most once per `refreshMs`. Every failure is told to `onReadError`.
 */
export class AppConfigurationRouting implements RoutingSource {
  private settings: AzureAppConfiguration | undefined;
  private routing: Routing = POSTGRES_ONLY;
  private strategy: DualWriteStrategy | undefined;
  /** The load in flight, as a request waits for it: settled by its end or by the timeout. */
  private loading: Promise<void> | undefined;
  /** The same load, to its end. */
  private loadEnd: Promise<void> | undefined;
  private loadStartedAt = Number.NEGATIVE_INFINITY;
  private refreshing: Promise<void> | undefined;
  private refreshedAt = Number.NEGATIVE_INFINITY;
  /** A refresh changed the settings (or the last rebuild failed): rebuild after the next. */
  private rebuildDue = false;
  /** The first failed answer the client got since this was cleared. */
  private failure: string | undefined;

  constructor(
    readonly location: string,
    private readonly credential: TokenCredential,
    private readonly options: AppConfigurationRoutingOptions,
  ) {}

  async current(): Promise<Routing> {
    if (this.settings) {
      this.refreshInBackground(this.settings);
      return this.routing;
    }
    if (!this.loading && Date.now() - this.loadStartedAt >= this.options.refreshMs)
      this.loading = this.startLoading();
    await this.loading;
    return this.routing;
  }

  /** `Cutover:DualWriteStrategy` as last read (PostgresFirst when not set); the router ignores it. */
  get dualWriteStrategy(): DualWriteStrategy | undefined {
    return this.strategy;
  }

  /** Resolves when the load or refresh in flight (if any), and the rebuild after it, are done. */
  async settled(): Promise<void> {
    await this.loadEnd;
    await this.refreshing;
  }

  private startLoading(): Promise<void> {
    this.loadStartedAt = Date.now();
    const loaded = this.load().finally(() => {
      this.loading = undefined;
      this.loadEnd = undefined;
    });
    this.loadEnd = loaded;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.tell(`not loaded within ${this.options.startupTimeoutMs} ms, still trying`);
        resolve();
      }, this.options.startupTimeoutMs);
      timer.unref();
    });
    return Promise.race([loaded.finally(() => clearTimeout(timer)), timedOut]);
  }

  /** One load; the provider gives up at the startup timeout (and fails no sooner than 5 s in). */
  private async load(): Promise<void> {
    const refresh = {
      enabled: true,
      refreshIntervalInMs: Math.max(this.options.refreshMs, MIN_REFRESH_MS),
    };
    this.failure = undefined;
    let settings: AzureAppConfiguration;
    try {
      // An ES module by its types (its CommonJS build is not typed as one).
      const { load } = await import('@azure/app-configuration-provider');
      settings = await load(this.location, this.credential, {
        // Fresh objects each load: the provider prefixes the feature-flag selectors in place.
        selectors: [{ keyFilter: DUAL_WRITE_STRATEGY_KEY }],
        refreshOptions: refresh,
        featureFlagOptions: {
          enabled: true,
          selectors: [{ keyFilter: 'Cutover.*' }, { keyFilter: 'Migration.*' }],
          refresh,
        },
        startupOptions: { timeoutInMs: this.options.startupTimeoutMs },
        clientOptions: this.clientOptions(),
        ...(this.options.replicaDiscoveryEnabled === undefined
          ? {}
          : { replicaDiscoveryEnabled: this.options.replicaDiscoveryEnabled }),
      });
    } catch (error) {
      this.tell(causeChain(error) + (this.failure ? ` (last answer: ${this.failure})` : ''));
      return;
    }
    settings.onRefresh(() => (this.rebuildDue = true));
    this.settings = settings;
    this.refreshedAt = Date.now();
    await this.rebuild(settings);
  }

  private refreshInBackground(settings: AzureAppConfiguration): void {
    if (this.refreshing || Date.now() - this.refreshedAt < this.options.refreshMs) return;
    this.failure = undefined;
    this.refreshing = settings
      .refresh()
      // It does not throw: it warns on the console and keeps the values it had.
      .then(async () => {
        if (this.failure) this.tell(this.failure);
        if (this.rebuildDue) await this.rebuild(settings);
      })
      .catch((error: unknown) => this.tell(causeChain(error)))
      .finally(() => {
        this.refreshedAt = Date.now();
        this.refreshing = undefined;
      });
  }

  /** The routing from a copy of the settings: a later refresh does not change it under a request. */
  private async rebuild(settings: AzureAppConfiguration): Promise<void> {
    this.rebuildDue = false;
    try {
      const values = new Map<string, unknown>(settings);
      const strategy = strategyOf(values.get(DUAL_WRITE_STRATEGY_KEY), this.location);
      this.routing = await routingFrom(
        new ConfigurationMapFeatureFlagProvider({ get: <T>(key: string) => values.get(key) as T }),
      );
      this.strategy = strategy;
    } catch (error) {
      this.rebuildDue = true;
      this.tell(causeChain(error));
    }
  }

  private tell(cause: string): void {
    const fallback = this.routing.source === 'fallback';
    this.options.onReadError?.(readErrorMessage(this.location, cause, fallback), fallback);
  }

  /** The caller's options, with a policy that notes the first failed answer (the provider only warns). */
  private clientOptions(): AppConfigurationClientOptions {
    const noteFailures: PipelinePolicy = {
      name: 'cutoverFlagsFailures',
      sendRequest: async (request, next) => {
        try {
          const response = await next(request);
          this.failure ??= failureOf(response.status);
          return response;
        } catch (error) {
          this.failure ??= failureOf((error as { statusCode?: number }).statusCode, error);
          throw error;
        }
      },
    };
    const given = this.options.clientOptions ?? {};
    return {
      ...given,
      additionalPolicies: [
        ...(given.additionalPolicies ?? []),
        { policy: noteFailures, position: 'perCall' },
      ],
    };
  }
}

/** As the flag stores read it: PostgresFirst when not set, one of the strategies otherwise. */
function strategyOf(value: unknown, location: string): DualWriteStrategy {
  if (value === undefined) return 'PostgresFirst';
  if ((DUAL_WRITE_STRATEGIES as readonly unknown[]).includes(value))
    return value as DualWriteStrategy;
  throw new AppError(
    'FLAGS_INVALID',
    `${DUAL_WRITE_STRATEGY_KEY} is "${String(value)}" in ${location}: expected ${DUAL_WRITE_STRATEGIES.join(' or ')}`,
  );
}
