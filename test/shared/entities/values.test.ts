import { describe, expect, it } from 'vitest';
import { parseJsonExact } from '../../../src/shared/entities/json-numbers';
import { RowError } from '../../../src/shared/entities/row-error';
import {
  cosmosId,
  encodeKey,
  finite,
  json,
  textArray,
  timestamp,
  UnrepresentableJson,
  uuid,
} from '../../../src/shared/entities/values';

function rowErrorCode(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (error) {
    return error instanceof RowError ? error.code : 'NOT_A_ROW_ERROR';
  }
}

describe('timestamp', () => {
  it('formats UTC text to fixed-width microseconds', () => {
    expect(timestamp('2025-09-22 10:00:00.123456+00', 'f')).toBe('2025-09-22T10:00:00.123456Z');
    expect(timestamp('2025-09-22 10:00:00+00', 'f')).toBe('2025-09-22T10:00:00.000000Z');
    expect(timestamp('2025-09-22 10:00:00.5+00', 'f')).toBe('2025-09-22T10:00:00.500000Z');
    expect(timestamp('0001-01-01 00:00:00+00', 'f')).toBe('0001-01-01T00:00:00.000000Z');
  });

  it('converts a non-UTC offset to UTC, keeping the microseconds', () => {
    expect(timestamp('2025-01-01 01:30:00.000001+02', 'f')).toBe('2024-12-31T23:30:00.000001Z');
    expect(timestamp('2025-01-01 00:00:00.999999-05:30', 'f')).toBe('2025-01-01T05:30:00.999999Z');
  });

  it('keeps NULL as null', () => {
    expect(timestamp(null, 'f')).toBeNull();
  });

  it('reports values that cannot keep the fixed width', () => {
    expect(rowErrorCode(() => timestamp('infinity', 'f'))).toBe('INVALID_TIMESTAMP');
    expect(rowErrorCode(() => timestamp('-infinity', 'f'))).toBe('INVALID_TIMESTAMP');
    expect(rowErrorCode(() => timestamp('0044-03-15 10:00:00+00 BC', 'f'))).toBe(
      'INVALID_TIMESTAMP',
    );
    expect(rowErrorCode(() => timestamp('10000-01-01 00:00:00+00', 'f'))).toBe('INVALID_TIMESTAMP');
  });

  it('keeps string order equal to time order', () => {
    const raw = [
      '2025-01-01 00:00:00.000001+00',
      '2025-01-01 00:00:00.00001+00',
      '2025-01-01 00:00:00.1+00',
      '2025-01-01 00:00:01+00',
    ];
    const formatted = raw.map((r) => timestamp(r, 'f')!);
    expect([...formatted].sort()).toEqual(formatted);
  });
});

describe('numbers and JSON', () => {
  it('rejects NaN and infinities, passes finite numbers and null', () => {
    expect(finite(1.5, 'x')).toBe(1.5);
    expect(finite(null, 'x')).toBeNull();
    expect(rowErrorCode(() => finite(Number.NaN, 'x'))).toBe('NON_FINITE_NUMBER');
    expect(rowErrorCode(() => finite(Number.POSITIVE_INFINITY, 'x'))).toBe('NON_FINITE_NUMBER');
  });

  it('parses JSON whose numbers a double holds exactly', () => {
    expect(
      parseJsonExact('{"a":1,"b":[0.5,-2,1e3,1.0,0.1],"c":"9007199254740993 in a string"}'),
    ).toEqual({
      a: 1,
      b: [0.5, -2, 1000, 1, 0.1],
      c: '9007199254740993 in a string',
    });
    expect(parseJsonExact('{"k\\"e1":12345678901234567}')).toBeInstanceOf(UnrepresentableJson);
  });

  it('flags numbers a double would change', () => {
    for (const text of [
      '9007199254740993',
      '{"x":0.10000000000000001}',
      '[1e400]',
      '{"deep":{"n":123456789012345678901234}}',
    ]) {
      const parsed = parseJsonExact(text);
      expect(parsed, text).toBeInstanceOf(UnrepresentableJson);
      expect(rowErrorCode(() => json(parsed, 'scores'))).toBe('UNREPRESENTABLE_NUMBER');
    }
    expect(parseJsonExact('9007199254740992')).toBe(9007199254740992);
    expect(parseJsonExact('1.50000000000000000000')).toBe(1.5);
  });
});

describe('ids and keys', () => {
  it('lowercases uuids', () => {
    expect(uuid('A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11')).toBe(
      'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
    );
  });

  it('encodes free text so that / \\ ? # cannot reach an id', () => {
    const key = `username:${encodeKey('a/b\\c?d#e %f 😀')}`;
    expect(key).not.toMatch(/[/\\?#]/);
    expect(decodeURIComponent(key.slice('username:'.length))).toBe('a/b\\c?d#e %f 😀');
    expect(cosmosId(key, 'lookup')).toBe(key);
  });

  it('reports an id over 255 characters or with a forbidden character', () => {
    expect(rowErrorCode(() => cosmosId('x'.repeat(256), 'lookup'))).toBe('INVALID_ID');
    expect(rowErrorCode(() => cosmosId('a/b', 'lookup'))).toBe('INVALID_ID');
    expect(cosmosId('x'.repeat(255), 'lookup')).toHaveLength(255);
  });

  it('turns a NULL array into [] and keeps NULL elements', () => {
    expect(textArray(null)).toEqual([]);
    expect(textArray(['a', null])).toEqual(['a', null]);
  });
});
