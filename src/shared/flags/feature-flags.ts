import { z } from 'zod';

/** The migration's flags (App Configuration keys `.appconfig.featureflag/<name>`). */
export const FLAG = {
  migrationEnabled: 'Migration.Enabled',
  dualWrite: 'Cutover.DualWrite',
  shadowReads: 'Cutover.ShadowReads',
  cosmosReads: 'Cutover.CosmosReads',
  cosmosWrites: 'Cutover.CosmosWrites',
} as const;

export type FlagName = (typeof FLAG)[keyof typeof FLAG];

export const FLAG_NAMES: readonly FlagName[] = Object.values(FLAG);

/** The one plain setting beside the flags: which store a dual write writes first. */
export const DUAL_WRITE_STRATEGY_KEY = 'Cutover:DualWriteStrategy';
export const DUAL_WRITE_STRATEGIES = ['PostgresFirst', 'CosmosFirst'] as const;
export type DualWriteStrategy = (typeof DUAL_WRITE_STRATEGIES)[number];

export const TARGETING_FILTER = 'Microsoft.Targeting';

const clientFilterSchema = z.looseObject({
  name: z.string().min(1),
  parameters: z.record(z.string(), z.unknown()).optional(),
});

/**
 * A flag in the Microsoft Feature Management schema (`feature_management.feature_flags[]`).
 * Loose: fields this tool does not use (variants, allocation, telemetry) are kept as they are.
 */
export const featureFlagSchema = z.looseObject({
  id: z.string().min(1),
  enabled: z.boolean(),
  description: z.string().optional(),
  conditions: z
    .looseObject({
      requirement_type: z.enum(['Any', 'All']).optional(),
      client_filters: z.array(clientFilterSchema).optional(),
    })
    .optional(),
});

export type FeatureFlag = z.infer<typeof featureFlagSchema>;

/** The Targeting filter's default rollout percentage, if the flag has that filter. */
export function rolloutPercent(flag: FeatureFlag): number | undefined {
  const filter = flag.conditions?.client_filters?.find((f) => f.name === TARGETING_FILTER);
  const audience = filter?.parameters?.Audience as
    { DefaultRolloutPercentage?: unknown } | undefined;
  return typeof audience?.DefaultRolloutPercentage === 'number'
    ? audience.DefaultRolloutPercentage
    : undefined;
}

/**
 * The flag with its Targeting filter's default percentage set; the filter's users, groups and
 * exclusions, and every other filter, stay as they were.
 */
export function withRolloutPercent(flag: FeatureFlag, percent: number): FeatureFlag {
  const filters = flag.conditions?.client_filters ?? [];
  const existing = filters.find((f) => f.name === TARGETING_FILTER);
  const audience = {
    Users: [],
    Groups: [],
    ...((existing?.parameters?.Audience as Record<string, unknown> | undefined) ?? {}),
    DefaultRolloutPercentage: percent,
  };
  const targeting = {
    ...existing,
    name: TARGETING_FILTER,
    parameters: { ...existing?.parameters, Audience: audience },
  };
  return {
    ...flag,
    conditions: {
      ...flag.conditions,
      client_filters: existing
        ? filters.map((f) => (f === existing ? targeting : f))
        : [...filters, targeting],
    },
  };
}

/** What a store holds before anything was written: nothing migrates to Cosmos-facing stages. */
export function defaultFlag(id: FlagName): FeatureFlag {
  const flag: FeatureFlag = {
    id,
    enabled: id === FLAG.migrationEnabled,
    description: FLAG_DESCRIPTIONS[id],
  };
  return id === FLAG.cosmosReads ? withRolloutPercent(flag, 0) : flag;
}

const FLAG_DESCRIPTIONS: Record<FlagName, string> = {
  'Migration.Enabled':
    'Workers take batches (load, sync, validation); off pauses them, nothing is lost',
  'Cutover.DualWrite': 'The application writes to both stores',
  'Cutover.ShadowReads': 'Reads also run on the other store and are compared',
  'Cutover.CosmosReads': 'Reads served by Cosmos for the Targeting percentage, sticky per user',
  'Cutover.CosmosWrites': 'Cosmos is the primary for writes',
};
