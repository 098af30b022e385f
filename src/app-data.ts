/**
 * `cosmos-migration/app-data`: the Social Pulse application's data on PostgreSQL and Cosmos,
 * routed by the current cutover stage (docs/cutover.md). Configured by the same settings as
 * the function app (DATABASE_URL or DATABASE_HOST/…, COSMOS_ENDPOINT, APP_CONFIGURATION_ENDPOINT
 * or FEATURE_FLAGS_FILE, APP_FLAGS_REFRESH, APP_FLAGS_STARTUP_TIMEOUT, APP_METRICS_*).
 */
import { StoreWindow } from './shared/app-data/operation-metrics';
import { StoreName } from './shared/app-data/repository';
import { AppData } from './shared/app-data/stage-router';
import { parseConfig, Settings } from './shared/config/config';
import { createEngine } from './shared/composition/engine';
import { noQueue } from './shared/queue/no-queue';

export type * from './shared/app-data/model';
export type { AppData, StoreName, StoreWindow };
export { AppError } from './shared/errors/app-error';

export interface AppDataClient {
  /** The data as `userId` (the requester) sees it: Cosmos serves their reads if their cohort is in. */
  as(userId?: string): AppData;
  /** What every call cost per store since this client opened (the router's counters). */
  totals(): Record<StoreName, StoreWindow>;
  /** Waits for shadow comparisons, saves the last metric window, closes the pools. */
  close(): Promise<void>;
}

/** Opens the library on the settings given, over the process environment. */
export function openAppData(settings: Settings = {}): AppDataClient {
  const engine = createEngine(parseConfig(settings), {
    migration: noQueue('the application data library'),
    validation: noQueue('the application data library'),
    sync: noQueue('the application data library'),
  });
  const parts = engine.appData;
  return {
    as: (userId) => parts.router.as(userId),
    totals: () => parts.metrics.totals(),
    close: () => engine.close(),
  };
}
