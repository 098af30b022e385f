import pg from 'pg';
import { parseJsonExact } from '../entities/json-numbers';

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

/** A pool whose sessions run in UTC and hand values over in the shapes `entities/values.ts` expects. */
export function createSourcePool(url: string, options: SourcePoolOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
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
