import { RowError } from './row-error';

/**
 * The value rules of docs/data-model.md, applied to values as the PostgreSQL adapter hands them over
 * (timestamps as raw UTC text, JSON as `JsonValue` or `UnrepresentableJson`).
 */

export function uuid(value: string): string;
export function uuid(value: string | null): string | null;
export function uuid(value: string | null): string | null {
  return value === null ? null : value.toLowerCase();
}

const PG_TIMESTAMP =
  /^(\d{4,})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(?:([+-])(\d{2})(?::?(\d{2}))?(?::?(\d{2}))?)?( BC)?$/;

/**
 * PostgreSQL timestamp text (the session runs in UTC) to `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
 * Values outside years 0001-9999 (`infinity`, BC, year 10000+) cannot keep fixed width,
 * so they are row errors rather than reshaped.
 */
export function timestamp(raw: string | null, field: string): string | null {
  if (raw === null) return null;
  const match = PG_TIMESTAMP.exec(raw);
  if (!match || match[12] || match[1]!.length > 4) {
    throw new RowError('INVALID_TIMESTAMP', `${field} ${JSON.stringify(raw)} is outside 0001-9999`);
  }
  const [, y, mo, d, h, mi, s, frac = '', sign, oh = '00', om = '00', os = '00'] = match;
  const micros = frac.padEnd(6, '0');
  const offsetSeconds =
    (Number(oh) * 3600 + Number(om) * 60 + Number(os)) * (sign === '-' ? -1 : 1);
  if (offsetSeconds === 0) return `${y}-${mo}-${d}T${h}:${mi}:${s}.${micros}Z`;
  const utc = new Date(0);
  utc.setUTCFullYear(Number(y), Number(mo) - 1, Number(d));
  utc.setUTCHours(Number(h), Number(mi), Number(s) - offsetSeconds, 0);
  const year = utc.getUTCFullYear();
  if (year < 1 || year > 9999) {
    throw new RowError(
      'INVALID_TIMESTAMP',
      `${field} ${JSON.stringify(raw)} is outside 0001-9999 in UTC`,
    );
  }
  return `${utc.toISOString().slice(0, 19).replace(/^\+0*/, '')}.${micros}Z`;
}

/** A JSON number JSON cannot hold faithfully (NaN, ±Infinity) is a row error, never rounded. */
export function finite(value: number | null, field: string): number | null {
  if (value === null || Number.isFinite(value)) return value;
  throw new RowError('NON_FINITE_NUMBER', `${field} is ${value}, which JSON cannot hold`);
}

export function textArray(value: (string | null)[] | null): (string | null)[] {
  return value ?? [];
}

export type JsonValue =
  null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** What the JSON type parser returns when a number in the text would not survive as a double. */
export class UnrepresentableJson {
  constructor(readonly reason: string) {}
}

export function json(value: JsonValue | UnrepresentableJson, field: string): JsonValue {
  if (value instanceof UnrepresentableJson) {
    throw new RowError('UNREPRESENTABLE_NUMBER', `${field}: ${value.reason}`);
  }
  return value;
}

/** Free text inside an id or partition key (Cosmos ids may not hold / \ ? #). */
export function encodeKey(text: string): string {
  return encodeURIComponent(text);
}

/**
 * Cosmos DB's per-item service limits (learn.microsoft.com/azure/cosmos-db/concepts-limits), in
 * UTF-8 bytes. The partition key limit is that of partition key version 2, which every container
 * of containers.json uses (version 1 allows 101 bytes). Preflight's data-quality questions use
 * these same constants.
 */
export const MAX_ID_BYTES = 1023;
export const MAX_PARTITION_KEY_BYTES = 2048;
const FORBIDDEN_ID_CHARACTERS = /[/\\?#]/;

const excerpt = (text: string) =>
  `${JSON.stringify(text.slice(0, 80))}${text.length > 80 ? '...' : ''}`;

/** An id Cosmos accepts (1 to 1,023 bytes, none of / \ ? #), else a row error; never altered. */
export function cosmosId(id: string, what: string): string {
  if (id.length === 0 || FORBIDDEN_ID_CHARACTERS.test(id)) {
    throw new RowError('INVALID_ID', `${what} id ${excerpt(id)} is not a valid Cosmos id`);
  }
  const bytes = Buffer.byteLength(id, 'utf8');
  if (bytes > MAX_ID_BYTES) {
    throw new RowError(
      'ID_TOO_LONG',
      `${what} id ${excerpt(id)} is ${bytes} bytes (UTF-8), over the Cosmos id limit of ${MAX_ID_BYTES} bytes`,
    );
  }
  return id;
}

/** A partition key value Cosmos accepts (at most 2,048 bytes), else a row error; never altered. */
export function partitionKey(pk: string, what: string): string {
  const bytes = Buffer.byteLength(pk, 'utf8');
  if (bytes > MAX_PARTITION_KEY_BYTES) {
    throw new RowError(
      'PARTITION_KEY_TOO_LONG',
      `${what} partition key ${excerpt(pk)} is ${bytes} bytes (UTF-8), over the Cosmos partition key limit of ${MAX_PARTITION_KEY_BYTES} bytes`,
    );
  }
  return pk;
}

export function requireKey<T>(value: T | null, field: string): T {
  if (value === null)
    throw new RowError('MISSING_KEY', `${field} is NULL, so no partition key can be formed`);
  return value;
}
