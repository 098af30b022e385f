import { TokenCredential } from '@azure/identity';
import type { TelemetryClient } from 'applicationinsights';

/** Where the tool reports numbers someone may alert on (e.g. the scheduled consistency rate). */
export interface Metrics {
  track(name: string, value: number, properties?: Record<string, string>): void;
  flush(): Promise<void>;
}

/**
 * Application Insights custom metrics. With local authentication off (as provisioned), the
 * ingestion endpoint takes only Entra tokens: `credential` supplies them.
 */
export class AppInsightsMetrics implements Metrics {
  private client: Promise<TelemetryClient> | undefined;
  private pending: Promise<void> = Promise.resolve();

  constructor(
    private readonly connectionString: string,
    private readonly credential?: () => TokenCredential,
  ) {}

  track(name: string, value: number, properties?: Record<string, string>): void {
    const client = this.connect();
    this.pending = this.pending.then(async () =>
      (await client).trackMetric({ name, value, properties }),
    );
  }

  async flush(): Promise<void> {
    await this.pending;
    if (this.client) await (await this.client).flush();
  }

  /**
   * Loaded on first use: importing the SDK instruments http and pg for the whole process,
   * which the load's hot path should not pay for when no metric is ever sent.
   */
  private connect(): Promise<TelemetryClient> {
    this.client ??= import('applicationinsights').then(({ TelemetryClient }) => {
      const client = new TelemetryClient(this.connectionString);
      if (this.credential) client.config.aadTokenCredential = this.credential();
      return client;
    });
    return this.client;
  }
}

/** Without Application Insights the metric still reaches the log. */
export class LogMetrics implements Metrics {
  constructor(private readonly log: (line: string) => void) {}

  track(name: string, value: number, properties?: Record<string, string>): void {
    this.log(`metric ${name}=${value}${properties ? ` ${JSON.stringify(properties)}` : ''}`);
  }

  async flush(): Promise<void> {}
}
