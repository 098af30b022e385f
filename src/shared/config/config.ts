import { z } from 'zod';
import { AppError } from '../errors/app-error';

const positiveInt = (fallback: number, min = 1, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

/** TLS towards PostgreSQL: `require` verifies the server certificate, `no-verify` only encrypts. */
export type SourceSsl = 'require' | 'no-verify' | 'disable';

/** A source named by DATABASE_HOST/… (the function app in Azure). */
export interface SourceServer {
  host: string;
  port: number;
  database: string;
  user: string;
  ssl: SourceSsl;
  /** DATABASE_PASSWORD (e.g. a resolved Key Vault reference); absent: a Microsoft Entra token. */
  password?: string;
}

export interface SourceSettings {
  /**
   * DATABASE_URL as given (it may hold a password; local runs), or else the DATABASE_HOST/…
   * server as a URL without any password, so that "is a source configured" stays `url`.
   */
  url?: string;
  /** Set when DATABASE_URL is not: how the pool reaches the server and signs in. */
  server?: SourceServer;
}

interface SourceEnv {
  DATABASE_URL?: string;
  DATABASE_HOST?: string;
  DATABASE_PORT: number;
  DATABASE_NAME?: string;
  DATABASE_USER?: string;
  DATABASE_PASSWORD?: string;
  DATABASE_SSL: SourceSsl;
}

/** DATABASE_URL wins; otherwise DATABASE_HOST needs DATABASE_NAME and DATABASE_USER. */
function sourceSettings(env: SourceEnv, ctx: z.core.$RefinementCtx): SourceSettings {
  if (env.DATABASE_URL || !env.DATABASE_HOST) return { url: env.DATABASE_URL };
  const missing = (['DATABASE_NAME', 'DATABASE_USER'] as const).filter((key) => !env[key]);
  for (const key of missing) {
    ctx.addIssue({ code: 'custom', path: [key], message: `required with DATABASE_HOST` });
  }
  if (missing.length > 0) return {};
  const server: SourceServer = {
    host: env.DATABASE_HOST,
    port: env.DATABASE_PORT,
    database: env.DATABASE_NAME!,
    user: env.DATABASE_USER!,
    ssl: env.DATABASE_SSL,
    ...(env.DATABASE_PASSWORD ? { password: env.DATABASE_PASSWORD } : {}),
  };
  const url =
    `postgres://${encodeURIComponent(server.user)}@${server.host}:${server.port}` +
    `/${encodeURIComponent(server.database)}?sslmode=${server.ssl}`;
  return { url, server };
}

/** A slot-safe name derived from the target database: one sync per target. */
function syncNameFor(database: string): string {
  return (
    database
      .toLowerCase()
      .replace(/[^a-z0-9_]/g, '_')
      .slice(0, 40) || 'default'
  );
}

/** The settings as the environment names them, with their defaults. */
const settingsSchema = z.object({
  DATABASE_URL: z.string().min(1).optional(),
  // In Azure the source is named piece by piece; no password: a Microsoft Entra token is used.
  DATABASE_HOST: z.string().min(1).optional(),
  DATABASE_PORT: positiveInt(5432, 1, 65535),
  DATABASE_NAME: z.string().min(1).optional(),
  DATABASE_USER: z.string().min(1).optional(),
  DATABASE_PASSWORD: z.string().min(1).optional(),
  DATABASE_SSL: z.enum(['require', 'no-verify', 'disable']).default('require'),
  COSMOS_ENDPOINT: z.url().optional(),
  COSMOS__accountEndpoint: z.url().optional(),
  COSMOS_KEY: z.string().min(1).optional(),
  COSMOS_DATABASE: z.string().min(1).default('social_pulse'),
  COSMOS_THROUGHPUT_MODE: z.enum(['manual', 'autoscale', 'serverless']).default('manual'),
  AZURE_CLIENT_ID: z.string().min(1).optional(),
  SERVICEBUS__fullyQualifiedNamespace: z.string().min(1).optional(),
  SERVICEBUS_CONNECTION_STRING: z.string().min(1).optional(),
  MIGRATION_QUEUE: z.string().min(1).default('migration-batches'),
  MIGRATION_BATCH_SIZE: positiveInt(1000, 100, 5000),
  MIGRATION_RU_BUDGET: z.coerce.number().min(0).default(0),
  MIGRATION_WRITE_CONCURRENCY: positiveInt(4, 1, 64),
  MIGRATION_BATCH_CONCURRENCY: positiveInt(4, 1, 64),
  MIGRATION_MAX_DELIVERY_COUNT: positiveInt(10, 1, 100),
  MIGRATION_MAX_THROTTLE_RETRIES: positiveInt(30, 0, 1000),
  VALIDATION_QUEUE: z.string().min(1).default('validation-batches'),
  SYNC_QUEUE: z.string().min(1).default('sync-batches'),
  VALIDATION_CONSISTENCY_THRESHOLD: z.coerce.number().min(0).max(1).default(0.99),
  VALIDATION_SCHEDULE: z.string().min(1).default('0 0 */6 * * *'),
  VALIDATION_SAMPLE_SIZE: positiveInt(1000, 1, 1_000_000),
  // Differences are compared again this long after (seconds; 0: not): a write still in flight
  // through the sync is not a difference. Set it above the sync's lag while the source is live.
  VALIDATION_RECHECK_SECONDS: z.coerce.number().min(0).max(3600).default(0),
  SYNC_SCHEDULE: z.string().min(1).default('*/10 * * * * *'),
  SYNC_MAX_CHANGES: positiveInt(10_000, 100, 1_000_000),
  // A round with more changed keys than this is applied in parts over SYNC_QUEUE.
  SYNC_FANOUT_KEYS: positiveInt(5_000, 1, 10_000_000),
  SYNC_TOMBSTONE_TTL: positiveInt(7 * 24 * 3600, 60, 365 * 24 * 3600),
  // The slot and publication are named after it (one sync per target database by default).
  SYNC_NAME: z
    .string()
    .regex(/^[a-z0-9_]{1,40}$/, 'lower-case letters, digits or underscores, at most 40')
    .optional(),
  COUNTS_RECONCILE_SCHEDULE: z.string().min(1).default('0 */5 * * * *'),
  // Parents whose children were written this many seconds back are recounted by the reconcile:
  // more than the schedule's period, so no window is missed.
  COUNTS_RECONCILE_WINDOW: positiveInt(900, 60, 7 * 24 * 3600),
  APP_CONFIGURATION_ENDPOINT: z.url().optional(),
  // Without APP_CONFIGURATION_ENDPOINT the flags live in this file (local runs).
  FEATURE_FLAGS_FILE: z.string().min(1).default('.cosmos-migration/feature-flags.json'),
  // Workers read Migration.Enabled at most this often per instance (seconds; 0: every message).
  MIGRATION_FLAG_CACHE_SECONDS: positiveInt(5, 0, 300),
  // While it is off a queue worker sends its message back to be delivered this much later,
  // doubling with each pause of the same message up to the max (seconds).
  MIGRATION_PAUSE_REQUEUE_SECONDS: positiveInt(30, 1, 3600),
  MIGRATION_PAUSE_REQUEUE_MAX_SECONDS: positiveInt(300, 1, 24 * 3600),
  // A move forward needs a ready full validation at most this old, and the sync this close.
  CUTOVER_VALIDATION_MAX_AGE: positiveInt(3600, 60, 30 * 24 * 3600),
  CUTOVER_MAX_SYNC_LAG: positiveInt(60, 1, 24 * 3600),
  CUTOVER_SYNC_DRAIN_TIMEOUT: positiveInt(300, 10, 24 * 3600),
  // A rollback from cosmos-primary waits this long for the replay queue to empty (seconds).
  CUTOVER_REPLAY_WAIT: positiveInt(120, 1, 24 * 3600),
  // The application's router re-reads the flags at most this often (seconds).
  APP_FLAGS_REFRESH: positiveInt(30, 1, 3600),
  // With App Configuration, a request waits at most this long for the flags' first load (seconds);
  // until it succeeds the router acts as in postgres-only, trying again at most every APP_FLAGS_REFRESH.
  APP_FLAGS_STARTUP_TIMEOUT: positiveInt(5, 1, 100),
  // The router counts calls in windows this long, saved this often (seconds).
  APP_METRICS_WINDOW: positiveInt(60, 1, 3600),
  APP_METRICS_FLUSH: positiveInt(10, 1, 3600),
  APP_METRICS_TTL: positiveInt(7 * 24 * 3600, 3600, 365 * 24 * 3600),
  REPLAY_SCHEDULE: z.string().min(1).default('*/15 * * * * *'),
  REPLAY_BATCH: positiveInt(100, 1, 10_000),
  WATCHDOG_SCHEDULE: z.string().min(1).default('0 * * * * *'),
  WATCHDOG_WINDOWS: positiveInt(10, 1, 1440),
  WATCHDOG_GRACE: positiveInt(120, 0, 24 * 3600),
  WATCHDOG_MIN_SAMPLES: positiveInt(50, 1, 10_000_000),
  WATCHDOG_FAILING_WINDOWS: positiveInt(3, 1, 1440),
  WATCHDOG_COOLDOWN: positiveInt(900, 0, 7 * 24 * 3600),
  WATCHDOG_MAX_ERROR_RATE: z.coerce.number().min(0).max(1).default(0.05),
  WATCHDOG_MAX_LATENCY_RATIO: z.coerce.number().min(1).default(1.5),
  WATCHDOG_MIN_CONSISTENCY: z.coerce.number().min(0).max(1).default(0.95),
  APPLICATIONINSIGHTS_CONNECTION_STRING: z.string().min(1).optional(),
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: z.string().min(1).optional(),
  COSMOS_MIGRATION_DEBUG: z.stringbool().default(false),
});

const schema = settingsSchema.transform((env, ctx) => ({
  debug: env.COSMOS_MIGRATION_DEBUG,
  source: sourceSettings(env, ctx),
  cosmos: {
    endpoint: env.COSMOS_ENDPOINT ?? env.COSMOS__accountEndpoint,
    key: env.COSMOS_KEY,
    database: env.COSMOS_DATABASE,
    throughputMode: env.COSMOS_THROUGHPUT_MODE,
    maxThrottleRetries: env.MIGRATION_MAX_THROTTLE_RETRIES,
  },
  identity: { managedIdentityClientId: env.AZURE_CLIENT_ID },
  serviceBus: {
    fullyQualifiedNamespace: env.SERVICEBUS__fullyQualifiedNamespace,
    connectionString: env.SERVICEBUS_CONNECTION_STRING,
    migrationQueue: env.MIGRATION_QUEUE,
    validationQueue: env.VALIDATION_QUEUE,
    syncQueue: env.SYNC_QUEUE,
  },
  appConfiguration: { endpoint: env.APP_CONFIGURATION_ENDPOINT },
  flags: { file: env.FEATURE_FLAGS_FILE },
  pause: {
    flagCacheMs: env.MIGRATION_FLAG_CACHE_SECONDS * 1000,
    requeueDelayMs: env.MIGRATION_PAUSE_REQUEUE_SECONDS * 1000,
    maxRequeueDelayMs:
      Math.max(env.MIGRATION_PAUSE_REQUEUE_MAX_SECONDS, env.MIGRATION_PAUSE_REQUEUE_SECONDS) * 1000,
  },
  cutover: {
    validationMaxAgeSeconds: env.CUTOVER_VALIDATION_MAX_AGE,
    maxSyncLagSeconds: env.CUTOVER_MAX_SYNC_LAG,
    syncDrainTimeoutMs: env.CUTOVER_SYNC_DRAIN_TIMEOUT * 1000,
    replayWaitMs: env.CUTOVER_REPLAY_WAIT * 1000,
    watchdogCooldownSeconds: env.WATCHDOG_COOLDOWN,
  },
  appData: {
    flagsRefreshMs: env.APP_FLAGS_REFRESH * 1000,
    flagsStartupTimeoutMs: env.APP_FLAGS_STARTUP_TIMEOUT * 1000,
    metricsWindowSeconds: env.APP_METRICS_WINDOW,
    metricsFlushMs: env.APP_METRICS_FLUSH * 1000,
    metricsTtlSeconds: env.APP_METRICS_TTL,
  },
  replay: { schedule: env.REPLAY_SCHEDULE, batch: env.REPLAY_BATCH },
  watchdog: {
    schedule: env.WATCHDOG_SCHEDULE,
    settings: {
      windowSeconds: env.APP_METRICS_WINDOW,
      windows: env.WATCHDOG_WINDOWS,
      graceSeconds: env.WATCHDOG_GRACE,
      minSamples: env.WATCHDOG_MIN_SAMPLES,
      failingWindows: Math.min(env.WATCHDOG_FAILING_WINDOWS, env.WATCHDOG_WINDOWS),
      cooldownSeconds: env.WATCHDOG_COOLDOWN,
      maxErrorRate: env.WATCHDOG_MAX_ERROR_RATE,
      maxLatencyRatio: env.WATCHDOG_MAX_LATENCY_RATIO,
      minConsistency: env.WATCHDOG_MIN_CONSISTENCY,
    },
  },
  observability: {
    appInsightsConnectionString: env.APPLICATIONINSIGHTS_CONNECTION_STRING,
    appInsightsEntraAuth: /Authorization=AAD/i.test(
      env.APPLICATIONINSIGHTS_AUTHENTICATION_STRING ?? '',
    ),
  },
  validation: {
    consistencyThreshold: env.VALIDATION_CONSISTENCY_THRESHOLD,
    schedule: env.VALIDATION_SCHEDULE,
    sampleSize: env.VALIDATION_SAMPLE_SIZE,
    recheckDelayMs: env.VALIDATION_RECHECK_SECONDS * 1000,
  },
  sync: {
    schedule: env.SYNC_SCHEDULE,
    maxChanges: env.SYNC_MAX_CHANGES,
    fanOutKeys: env.SYNC_FANOUT_KEYS,
    tombstoneTtlSeconds: env.SYNC_TOMBSTONE_TTL,
    name: env.SYNC_NAME ?? syncNameFor(env.COSMOS_DATABASE),
  },
  counts: {
    reconcileSchedule: env.COUNTS_RECONCILE_SCHEDULE,
    reconcileWindowSeconds: env.COUNTS_RECONCILE_WINDOW,
  },
  migration: {
    batchSize: env.MIGRATION_BATCH_SIZE,
    ruBudgetPerSecond: env.MIGRATION_RU_BUDGET,
    writeConcurrency: env.MIGRATION_WRITE_CONCURRENCY,
    batchConcurrency: env.MIGRATION_BATCH_CONCURRENCY,
    maxDeliveryCount: env.MIGRATION_MAX_DELIVERY_COUNT,
  },
}));

export type AppConfig = z.output<typeof schema>;
export type Settings = Partial<Record<string, string>>;

/**
 * The settings in force: `fallbacks` (e.g. local.settings.json `Values`), then the process
 * environment, then `overrides`. An empty setting (common in local.settings.json) means "not set".
 */
export function effectiveSettings(overrides: Settings = {}, fallbacks: Settings = {}): Settings {
  return Object.fromEntries(
    Object.entries({ ...fallbacks, ...process.env, ...overrides }).filter(
      ([, value]) => value !== undefined && value !== '',
    ),
  );
}

/** Parses settings once, failing with every problem named. */
export function parseConfig(overrides: Settings = {}, fallbacks: Settings = {}): AppConfig {
  const result = schema.safeParse(effectiveSettings(overrides, fallbacks));
  if (!result.success) {
    const problems = result.error.issues.map(
      (issue) => `${issue.path.join('.')}: ${issue.message}`,
    );
    throw new AppError('CONFIG_INVALID', `invalid settings: ${problems.join('; ')}`);
  }
  return result.data;
}

/**
 * A binding expression's setting (`%MIGRATION_QUEUE%`): as set, else this app's default for
 * it, else undefined.
 */
export function settingValue(name: string, settings: Settings): string | undefined {
  if (settings[name] !== undefined) return settings[name];
  const defaults = settingsSchema.safeParse({});
  const value = defaults.success ? (defaults.data as Record<string, unknown>)[name] : undefined;
  return value === undefined ? undefined : String(value);
}

let cached: AppConfig | undefined;

/** The configuration of this process, parsed on first use. */
export function appConfig(): AppConfig {
  cached ??= parseConfig();
  return cached;
}

/** The CLI decides some settings itself (e.g. local servers) before anything reads the config. */
export function useConfig(config: AppConfig): void {
  cached = config;
}
