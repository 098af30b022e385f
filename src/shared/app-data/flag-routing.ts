import {
  ConfigurationObjectFeatureFlagProvider,
  FeatureManager,
  IFeatureFlagProvider,
} from '@microsoft/feature-management';
import { errorMessage } from '../errors/app-error';
import { FLAG, FLAG_NAMES } from '../flags/feature-flags';
import { FlagSnapshot, FlagStore } from '../flags/flag-store';
import { StoreName } from './repository';

/** Where the router sends a request, as the current stage says. */
export interface Routing {
  /** The authoritative store for writes: its failure fails the request. */
  primary: StoreName;
  /** The store written after it (a miss there is recorded for replay), null when none. */
  secondary: StoreName | null;
  /** Reads also run on the store that does not serve them, and are compared. */
  shadowReads: boolean;
  /** The store serving this user's reads: Cosmos for the Targeting cohort, sticky per user. */
  readStore(userId: string | undefined): Promise<StoreName>;
  /** `fallback`: the flags could never be read, so the router acts as in postgres-only. */
  source: 'flags' | 'fallback';
}

export interface RoutingSource {
  current(): Promise<Routing>;
}

export interface FlagRoutingOptions {
  /** The flags are read again at most this often. */
  refreshMs: number;
  now?: () => number;
  /** Told (loudly) when the flags cannot be read; `fallback` when none were ever read. */
  onReadError?: (message: string, fallback: boolean) => void;
}

/** Where the flags were never readable: as in postgres-only. */
export const POSTGRES_ONLY: Routing = {
  primary: 'postgres',
  secondary: null,
  shadowReads: false,
  readStore: async () => 'postgres',
  source: 'fallback',
};

/**
 * The routing from the cutover flags, evaluated with Microsoft Feature Management (the
 * Targeting filter's percentile is per user and flag, so a user's cohort is sticky and a
 * raised percentage keeps the earlier cohort). Read at most once per `refreshMs`; a failed
 * read keeps the last flags read, and before any was read the router acts as in postgres-only.
 */
export class FlagRouting implements RoutingSource {
  private routing: Routing | undefined;
  private readAt = Number.NEGATIVE_INFINITY;
  private reading: Promise<Routing> | undefined;
  private readonly now: () => number;

  constructor(
    private readonly flags: Pick<FlagStore, 'read' | 'location'>,
    private readonly options: FlagRoutingOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  current(): Promise<Routing> {
    if (this.routing && this.now() - this.readAt < this.options.refreshMs)
      return Promise.resolve(this.routing);
    this.reading ??= this.refresh().finally(() => (this.reading = undefined));
    return this.reading;
  }

  private async refresh(): Promise<Routing> {
    try {
      this.routing = await routingOf(await this.flags.read());
    } catch (error) {
      const fallback = this.routing === undefined || this.routing.source === 'fallback';
      this.options.onReadError?.(
        readErrorMessage(this.flags.location, errorMessage(error), fallback),
        fallback,
      );
      this.routing ??= POSTGRES_ONLY;
    }
    this.readAt = this.now();
    return this.routing;
  }
}

/** What `onReadError` is told: the cause, and whether the router acts as in postgres-only. */
export function readErrorMessage(location: string, cause: string, fallback: boolean): string {
  return (
    `the cutover flags at ${location} cannot be read (${cause}); ` +
    (fallback ? 'acting as in postgres-only' : 'keeping the flags read last')
  );
}

export async function routingOf(snapshot: FlagSnapshot): Promise<Routing> {
  return routingFrom(
    new ConfigurationObjectFeatureFlagProvider({
      feature_management: {
        feature_flags: FLAG_NAMES.map((name) => snapshot.flags[name].flag),
      },
    }),
  );
}

const ROUTING_FLAGS = [FLAG.dualWrite, FLAG.shadowReads, FLAG.cosmosWrites, FLAG.cosmosReads];

/**
 * The routing the flags of `provider` give (a flag it does not hold is off). The provider must
 * not change under it: `readStore` evaluates later. A routing flag Feature Management rejects
 * fails here, not in a request's `readStore`.
 */
export async function routingFrom(provider: IFeatureFlagProvider): Promise<Routing> {
  await Promise.all(ROUTING_FLAGS.map((name) => provider.getFeatureFlag(name)));
  const manager = new FeatureManager(provider);
  const [dualWrite, shadowReads, cosmosWrites] = await Promise.all([
    manager.isEnabled(FLAG.dualWrite),
    manager.isEnabled(FLAG.shadowReads),
    manager.isEnabled(FLAG.cosmosWrites),
  ]);
  const primary: StoreName = cosmosWrites ? 'cosmos' : 'postgres';
  const other: StoreName = cosmosWrites ? 'postgres' : 'cosmos';
  return {
    primary,
    secondary: dualWrite ? other : null,
    shadowReads,
    readStore: async (userId) =>
      (await manager.isEnabled(FLAG.cosmosReads, { userId: userId ?? '' })) ? 'cosmos' : 'postgres',
    source: 'flags',
  };
}
