import { TokenCredential } from '@azure/identity';
import { TelemetryClient } from 'applicationinsights';

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
  private client: TelemetryClient | undefined;

  constructor(
    private readonly connectionString: string,
    private readonly credential?: () => TokenCredential,
  ) {}

  track(name: string, value: number, properties?: Record<string, string>): void {
    if (!this.client) {
      this.client = new TelemetryClient(this.connectionString);
      if (this.credential) this.client.config.aadTokenCredential = this.credential();
    }
    this.client.trackMetric({ name, value, properties });
  }

  async flush(): Promise<void> {
    await this.client?.flush();
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
