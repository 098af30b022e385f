import type { AccessToken, TokenCredential } from '@azure/identity';
import pg from 'pg';
import type { SourceSettings } from '../config/config';
import { parseJsonExact } from '../entities/json-numbers';
import { AppError } from '../errors/app-error';
import { sharedCredential } from '../identity/credential';

const TIMESTAMPTZ = 1184;
const TIMESTAMP = 1114;
const JSON_OID = 114;
const JSONB_OID = 3802;

/**
 * Timestamps stay text (a JS Date would drop the microseconds) and JSON is parsed with a
 * check for numbers a double cannot hold; the transform decides what each becomes.
 */
const sourceTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: string) => {
    if (oid === TIMESTAMPTZ || oid === TIMESTAMP) return (text: string) => text;
    if (oid === JSON_OID || oid === JSONB_OID) return parseJsonExact;
    return pg.types.getTypeParser(oid, format as 'text');
  }) as pg.CustomTypesConfig['getTypeParser'],
};

export interface SourcePoolOptions {
  max?: number;
  applicationName?: string;
}

/** Scope of Microsoft Entra tokens for Azure Database for PostgreSQL. */
export const POSTGRES_ENTRA_SCOPE = 'https://ossrdbms-aad.database.windows.net/.default';

/**
 * A password function for pg: a Microsoft Entra access token from the shared credential
 * (the managed identity in Azure), asked for per new connection and reused until close to expiry.
 */
export function entraTokenPassword(
  credential: () => TokenCredential = sharedCredential,
): () => Promise<string> {
  let token: AccessToken | null = null;
  return async () => {
    if (!token || token.expiresOnTimestamp - Date.now() < 5 * 60_000) {
      token = await credential().getToken(POSTGRES_ENTRA_SCOPE);
      if (!token) {
        throw new AppError('SOURCE_AUTH_FAILED', 'no Microsoft Entra token for PostgreSQL');
      }
    }
    return token.token;
  };
}

/** pg connection options: a URL as given, or a server (DATABASE_HOST/…) with a password or a token. */
export function sourceConnection(source: string | SourceSettings): pg.PoolConfig {
  if (typeof source === 'string') return { connectionString: source };
  const { server } = source;
  if (!server) return { connectionString: source.url };
  return {
    host: server.host,
    port: server.port,
    database: server.database,
    user: server.user,
    password: server.password ?? entraTokenPassword(),
    ssl: server.ssl === 'disable' ? false : { rejectUnauthorized: server.ssl === 'require' },
  };
}

/** A pool whose sessions run in UTC and hand values over in the shapes `entities/values.ts` expects. */
export function createSourcePool(
  source: string | SourceSettings,
  options: SourcePoolOptions = {},
): pg.Pool {
  const pool = new pg.Pool({
    ...sourceConnection(source),
    max: options.max ?? 8,
    types: sourceTypes,
    options: '-c TimeZone=UTC -c DateStyle=ISO',
    application_name: options.applicationName ?? 'cosmos-migration',
    connectionTimeoutMillis: 15_000,
    idleTimeoutMillis: 30_000,
  });
  // An idle client dropped by the server must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  return pool;
}
