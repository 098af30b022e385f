import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/shared/config/config';

describe('config', () => {
  it('applies defaults and treats empty settings as unset', () => {
    const config = parseConfig({
      DATABASE_URL: 'postgres://x',
      COSMOS_ENDPOINT: 'https://a.documents.azure.com',
      SERVICEBUS_CONNECTION_STRING: '',
    });
    expect(config.cosmos.database).toBe('social_pulse');
    expect(config.migration.batchSize).toBe(1000);
    expect(config.serviceBus.connectionString).toBeUndefined();
  });

  it('takes the identity-based endpoint setting of the function app', () => {
    expect(
      parseConfig({ COSMOS_ENDPOINT: '', COSMOS__accountEndpoint: 'https://b.documents.azure.com' })
        .cosmos.endpoint,
    ).toBe('https://b.documents.azure.com');
  });

  it('fails fast naming every bad setting', () => {
    expect(() =>
      parseConfig({ MIGRATION_BATCH_SIZE: '50', COSMOS_THROUGHPUT_MODE: 'fast' }),
    ).toThrow(
      /MIGRATION_BATCH_SIZE.*COSMOS_THROUGHPUT_MODE|COSMOS_THROUGHPUT_MODE.*MIGRATION_BATCH_SIZE/,
    );
  });
});
