/** Properties Cosmos adds to every document; they are not part of the contract. */
const SYSTEM_PROPERTIES = new Set(['_rid', '_self', '_etag', '_attachments', '_ts', '_lsn']);

const pointer = (parent: string, key: string | number) =>
  `${parent}/${String(key).replace(/~/g, '~0').replace(/\//g, '~1')}`;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The JSON pointers where `actual` differs from `expected`: every property of the contract,
 * compared exactly (numbers by value, arrays in order), plus properties that should not be
 * there. System properties are ignored.
 */
export function differingFields(
  expected: Record<string, unknown>,
  actual: Record<string, unknown>,
): string[] {
  const fields: string[] = [];
  compareObjects(expected, actual, '', fields, true);
  return fields;
}

function compareObjects(
  expected: Record<string, unknown>,
  actual: Record<string, unknown>,
  path: string,
  fields: string[],
  root: boolean,
): void {
  // Two passes instead of a union of the keys: this runs for every property of every document.
  for (const key in expected) {
    compareValues(expected[key], actual[key], pointer(path, key), fields, key in actual);
  }
  for (const key in actual) {
    if (key in expected || (root && SYSTEM_PROPERTIES.has(key))) continue;
    if (actual[key] !== undefined) fields.push(pointer(path, key));
  }
}

function compareValues(
  expected: unknown,
  actual: unknown,
  path: string,
  fields: string[],
  present = true,
): void {
  if (!present && expected !== undefined) {
    fields.push(path);
  } else if (isObject(expected) && isObject(actual)) {
    compareObjects(expected, actual, path, fields, false);
  } else if (Array.isArray(expected) && Array.isArray(actual)) {
    if (expected.length !== actual.length) fields.push(path);
    else expected.forEach((item, i) => compareValues(item, actual[i], pointer(path, i), fields));
  } else if (expected !== actual) {
    fields.push(path);
  }
}

/** The value at a JSON pointer, or undefined. */
export function valueAt(document: unknown, path: string): unknown {
  let value = document;
  for (const raw of path.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

export const MASK = '<masked>';

/** Expected and actual values per differing field, masked under any of `masked` pointers. */
export function fieldValues(
  fields: string[],
  expected: unknown,
  actual: unknown,
  masked: readonly string[] = [],
): Record<string, { expected: unknown; actual: unknown }> {
  const values: Record<string, { expected: unknown; actual: unknown }> = {};
  for (const field of fields) {
    const hidden = masked.some((prefix) => field === prefix || field.startsWith(`${prefix}/`));
    values[field] = hidden
      ? { expected: MASK, actual: MASK }
      : { expected: excerpt(valueAt(expected, field)), actual: excerpt(valueAt(actual, field)) };
  }
  return values;
}

const EXCERPT_LENGTH = 200;

/** Reports stay small: long text is cut, nested values are summarized. */
function excerpt(value: unknown): unknown {
  if (value === undefined) return null;
  if (typeof value === 'string' && value.length > EXCERPT_LENGTH) {
    return `${value.slice(0, EXCERPT_LENGTH)}… (${value.length} characters)`;
  }
  if (typeof value === 'object' && value !== null) {
    const text = JSON.stringify(value);
    return text.length > EXCERPT_LENGTH ? `${text.slice(0, EXCERPT_LENGTH)}…` : value;
  }
  return value;
}
