import pg from 'pg';
import { parseJsonExact } from '../../entities/json-numbers';

const TIMESTAMPTZ = 1184;
const TIMESTAMP = 1114;
const JSON_OID = 114;
const JSONB_OID = 3802;

/**
 * The text-to-value parser for a column of a decoded row: the same shapes as a source-pool
 * query (`postgres/pool.ts`), so a change's values and a re-read row agree. The pgoutput
 * parser would otherwise use pg's global defaults, where a timestamp becomes a JS Date and
 * loses its microseconds. pgoutput prints values with the reading session's settings, which
 * is why the stream reads through a source pool (TimeZone=UTC, DateStyle=ISO).
 */
export function sourceValueParser(typeOid: number): (text: string) => unknown {
  if (typeOid === TIMESTAMPTZ || typeOid === TIMESTAMP) return (text) => text;
  if (typeOid === JSON_OID || typeOid === JSONB_OID) return parseJsonExact;
  return pg.types.getTypeParser(typeOid, 'text');
}
