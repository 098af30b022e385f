import {
  AppConfigurationClientOptions,
  AppConfigurationClient,
  ConfigurationSetting,
  featureFlagContentType,
  featureFlagPrefix,
} from '@azure/app-configuration';
import type { TokenCredential } from '@azure/core-auth';
import { AppError, conflict } from '../errors/app-error';
import {
  defaultFlag,
  DUAL_WRITE_STRATEGIES,
  DUAL_WRITE_STRATEGY_KEY,
  DualWriteStrategy,
  FeatureFlag,
  featureFlagSchema,
  FLAG_NAMES,
  FlagName,
} from './feature-flags';
import { FlagSnapshot, FlagStore, StoredFlag } from './flag-store';

const statusOf = (error: unknown) => (error as { statusCode?: number }).statusCode;

/**
 * The flags in App Configuration. Each flag is written as raw JSON with the feature-flag
 * content type: handing the SDK an object would serialise only id, enabled, description,
 * conditions and display_name, dropping variants, allocation and telemetry. A write carries
 * the etag it read (`If-Match`; a new flag `If-None-Match: *`) and the tags it read.
 */
export class AppConfigurationFlagStore implements FlagStore {
  private readonly client: AppConfigurationClient;

  constructor(
    readonly location: string,
    credential: TokenCredential,
    options?: AppConfigurationClientOptions,
  ) {
    this.client = new AppConfigurationClient(location, credential, options);
  }

  async read(): Promise<FlagSnapshot> {
    const found = new Map<string, StoredFlag>();
    for await (const setting of this.client.listConfigurationSettings({
      keyFilter: `${featureFlagPrefix}*`,
    })) {
      if (setting.label) continue;
      const name = setting.key.slice(featureFlagPrefix.length);
      if (!FLAG_NAMES.includes(name as FlagName)) continue;
      found.set(name, {
        flag: parseFlag(setting),
        etag: setting.etag ?? null,
        ...(setting.tags && Object.keys(setting.tags).length > 0 ? { tags: setting.tags } : {}),
      });
    }
    const flags = Object.fromEntries(
      FLAG_NAMES.map((name) => [name, found.get(name) ?? { flag: defaultFlag(name), etag: null }]),
    ) as Record<FlagName, StoredFlag>;
    return { flags, dualWriteStrategy: await this.readStrategy() };
  }

  async write(flags: StoredFlag[]): Promise<void> {
    for (const { flag, etag, tags } of flags) {
      const setting: ConfigurationSetting = {
        key: `${featureFlagPrefix}${flag.id}`,
        value: JSON.stringify(flag),
        contentType: featureFlagContentType,
        ...(tags ? { tags } : {}),
        isReadOnly: false,
      };
      try {
        if (etag === null) await this.client.addConfigurationSetting(setting);
        else
          await this.client.setConfigurationSetting(
            { ...setting, etag },
            { onlyIfUnchanged: true },
          );
      } catch (error) {
        const status = statusOf(error);
        if (status === 412 || (etag === null && status === 409))
          throw conflict(
            'FLAGS_CONFLICT',
            `flag ${flag.id} changed in ${this.location} since it was read`,
          );
        throw error;
      }
    }
  }

  private async readStrategy(): Promise<DualWriteStrategy> {
    try {
      const { value } = await this.client.getConfigurationSetting({ key: DUAL_WRITE_STRATEGY_KEY });
      if (value && (DUAL_WRITE_STRATEGIES as readonly string[]).includes(value))
        return value as DualWriteStrategy;
      throw new AppError(
        'FLAGS_INVALID',
        `${DUAL_WRITE_STRATEGY_KEY} is "${value}" in ${this.location}: expected ${DUAL_WRITE_STRATEGIES.join(' or ')}`,
      );
    } catch (error) {
      if (statusOf(error) === 404) return 'PostgresFirst';
      throw error;
    }
  }
}

function parseFlag(setting: ConfigurationSetting): FeatureFlag {
  let value: unknown;
  try {
    value = JSON.parse(setting.value ?? '');
  } catch {
    value = undefined;
  }
  const result = featureFlagSchema.safeParse(value);
  if (!result.success)
    throw new AppError('FLAGS_INVALID', `${setting.key} does not hold a feature flag's JSON`);
  return result.data;
}
