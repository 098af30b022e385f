import type { TokenCredential } from '@azure/identity';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/shared/config/config';
import {
  entraTokenPassword,
  POSTGRES_ENTRA_SCOPE,
  sourceConnection,
} from '../../../src/shared/postgres/pool';

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

describe('config: the source PostgreSQL', () => {
  const azure = {
    DATABASE_URL: '',
    DATABASE_HOST: 'pg-x.postgres.database.azure.com',
    DATABASE_NAME: 'socialpulse',
    DATABASE_USER: 'id-api-x',
  };

  it('takes DATABASE_URL as given (it may hold a password) and ignores DATABASE_HOST then', () => {
    const { source } = parseConfig({ ...azure, DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/db' });
    expect(source).toEqual({ url: 'postgres://u:p@127.0.0.1:5432/db' });
  });

  it('names the server piece by piece in Azure, with TLS required and no password', () => {
    const { source } = parseConfig(azure);
    expect(source.server).toEqual({
      host: 'pg-x.postgres.database.azure.com',
      port: 5432,
      database: 'socialpulse',
      user: 'id-api-x',
      ssl: 'require',
    });
    // `url` still says a source is configured, and never holds a password or token.
    expect(source.url).toBe(
      'postgres://id-api-x@pg-x.postgres.database.azure.com:5432/socialpulse?sslmode=require',
    );
  });

  it('takes a port, a TLS mode and a password (a resolved Key Vault reference)', () => {
    const { source } = parseConfig({
      ...azure,
      DATABASE_PORT: '6432',
      DATABASE_SSL: 'no-verify',
      DATABASE_PASSWORD: 'from-key-vault',
      DATABASE_USER: 'migrator@contoso.com',
    });
    expect(source.server).toMatchObject({
      port: 6432,
      ssl: 'no-verify',
      password: 'from-key-vault',
    });
    expect(source.url).toContain('migrator%40contoso.com@');
    expect(source.url).not.toContain('from-key-vault');
  });

  it('has no source when neither DATABASE_URL nor DATABASE_HOST is set', () => {
    expect(parseConfig({ DATABASE_URL: '', DATABASE_HOST: '' }).source).toEqual({ url: undefined });
  });

  it('names what DATABASE_HOST is missing, and rejects a bad port or TLS mode', () => {
    expect(() => parseConfig({ DATABASE_URL: '', DATABASE_HOST: 'h' })).toThrow(
      /DATABASE_NAME: required with DATABASE_HOST; DATABASE_USER: required with DATABASE_HOST/,
    );
    expect(() => parseConfig({ ...azure, DATABASE_PORT: '70000', DATABASE_SSL: 'maybe' })).toThrow(
      /DATABASE_PORT.*DATABASE_SSL|DATABASE_SSL.*DATABASE_PORT/,
    );
  });

  it('gives the pool a Microsoft Entra token as the password when there is none', async () => {
    const scopes: string[] = [];
    const credential: TokenCredential = {
      getToken: async (scope) => {
        scopes.push(String(scope));
        return { token: `token-${scopes.length}`, expiresOnTimestamp: Date.now() + 3_600_000 };
      },
    };
    const password = entraTokenPassword(() => credential);
    expect(await password()).toBe('token-1');
    expect(await password()).toBe('token-1'); // reused until close to expiry
    expect(scopes).toEqual([POSTGRES_ENTRA_SCOPE]);
    expect(POSTGRES_ENTRA_SCOPE).toBe('https://ossrdbms-aad.database.windows.net/.default');

    const options = sourceConnection(parseConfig(azure).source);
    expect(options).toMatchObject({
      host: 'pg-x.postgres.database.azure.com',
      port: 5432,
      database: 'socialpulse',
      user: 'id-api-x',
      ssl: { rejectUnauthorized: true },
    });
    expect(options.connectionString).toBeUndefined();
    expect(typeof options.password).toBe('function');

    const withPassword = sourceConnection(
      parseConfig({ ...azure, DATABASE_PASSWORD: 'pw', DATABASE_SSL: 'disable' }).source,
    );
    expect(withPassword).toMatchObject({ password: 'pw', ssl: false });
    expect(sourceConnection({ url: 'postgres://u:p@h/db' })).toEqual({
      connectionString: 'postgres://u:p@h/db',
    });
  });
});
