/**
 * SQL fragments that decide, in PostgreSQL and over whole tables, what the transform would
 * decide row by row in `entities/values.ts` and `entities/json-numbers.ts`.
 */

/** `timestamp()` accepts years 0001-9999 in UTC; infinity, BC and year 10000+ are row errors. */
export const outOfRangeTimestamp = (column: string): string =>
  `(${column} IS NOT NULL AND NOT (${column} >= '0001-01-01 00:00:00+00'::timestamptz AND ${column} < '10000-01-01 00:00:00+00'::timestamptz))`;

/** `finite()`: NaN and ±Infinity (NaN = NaN is true in PostgreSQL). */
export const nonFinite = (column: string): string =>
  `(${column} IN ('NaN'::float8, 'Infinity'::float8, '-Infinity'::float8))`;

/**
 * `parseJsonExact()`: a JSON number survives when the shortest round-trip text of its double
 * names the same decimal (float8 text is that form when extra_float_digits > 0). Beyond the
 * double range it cannot survive, and the cast would raise, hence the guard. Only documents
 * holding a number of 16+ digits can fail (15 significant digits always round-trip; JSONB
 * prints numbers without exponents), so the text pattern skips the path query for the rest.
 */
export const unrepresentableJsonNumber = (column: string): string => `
  (${column}::text ~ '[0-9]{16}|[0-9.]{17}' AND EXISTS (
     SELECT 1 FROM jsonb_path_query(${column}::jsonb, 'strict $.** ? (@.type() == "number")') AS j(v)
     WHERE NOT CASE
       WHEN abs(v::numeric) > 1.7976931348623157e308
         OR (v::numeric <> 0 AND abs(v::numeric) < 4.9406564584124654e-324) THEN false
       ELSE v::numeric::float8::text::numeric = v::numeric
     END))`;

/** Characters `encodeURIComponent` leaves as they are; every other UTF-8 byte becomes `%XX`. */
const UNRESERVED = `'[^A-Za-z0-9_.!~*''()-]'`;

/** Exactly `encodeURIComponent(text).length`, which is also its UTF-8 bytes (the result is ASCII). */
export const encodedLength = (column: string): string =>
  `(3 * octet_length(${column}) - 2 * length(regexp_replace(${column}, ${UNRESERVED}, '', 'g')))`;

/** Cosmos ids may not hold these (docs/data-model.md); free text with them is encoded. */
export const needsIdEncoding = (column: string): string => `(${column} ~ '[/\\\\?#]')`;

/**
 * Bytes a text (or TEXT[]) value takes in the document: PostgreSQL escapes JSON strings exactly
 * as JSON.stringify does (`\"`, `\\`, `\n`, `\u0001`, raw UTF-8 otherwise).
 */
export const jsonTextBytes = (column: string): string =>
  `COALESCE(octet_length(to_json(${column})::text), 0)`;

/** JSONB's text has a space after each `:` and `,`, so it bounds the compact form from above. */
export const jsonbBytes = (column: string): string => `COALESCE(octet_length(${column}::text), 0)`;
