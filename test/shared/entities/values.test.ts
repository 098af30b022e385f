import { describe, expect, it } from 'vitest';
import { parseJsonExact } from '../../../src/shared/entities/json-numbers';
import { RowError } from '../../../src/shared/entities/row-error';
import {
  cosmosId,
  encodeKey,
  finite,
  json,
  MAX_ID_BYTES,
  MAX_PARTITION_KEY_BYTES,
  partitionKey,
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

  it('allows ids up to 1,023 UTF-8 bytes and partition keys up to 2,048, the Cosmos limits', () => {
    expect([MAX_ID_BYTES, MAX_PARTITION_KEY_BYTES]).toEqual([1023, 2048]);
    expect(cosmosId('x'.repeat(1023), 'lookup')).toHaveLength(1023);
    expect(rowErrorCode(() => cosmosId('x'.repeat(1024), 'lookup'))).toBe('ID_TOO_LONG');
    expect(partitionKey('k'.repeat(2048), 'lookup')).toHaveLength(2048);
    expect(rowErrorCode(() => partitionKey('k'.repeat(2049), 'lookup'))).toBe(
      'PARTITION_KEY_TOO_LONG',
    );
  });

  it('counts bytes, not characters: 2-, 3- and 4-byte characters at the limits', () => {
    // 511 x 2 + 1 = 1,023 bytes in 512 characters; 512 x 2 = 1,024 bytes in as many.
    const id = 'é'.repeat(511) + 'x';
    expect(cosmosId(id, 'lookup')).toBe(id);
    expect(rowErrorCode(() => cosmosId('é'.repeat(512), 'lookup'))).toBe('ID_TOO_LONG');
    expect(rowErrorCode(() => cosmosId('日'.repeat(341) + 'x', 'lookup'))).toBe('ID_TOO_LONG');
    expect(cosmosId('日'.repeat(341), 'lookup')).toHaveLength(341);
    // 😀 is 4 bytes (2 UTF-16 units): 512 of them are 2,048 bytes in 1,024 string units.
    const pk = '😀'.repeat(512);
    expect(partitionKey(pk, 'lookup')).toBe(pk);
    expect(rowErrorCode(() => partitionKey(`${pk}x`, 'lookup'))).toBe('PARTITION_KEY_TOO_LONG');
    expect(rowErrorCode(() => cosmosId('😀'.repeat(256), 'lookup'))).toBe('ID_TOO_LONG');
    expect(cosmosId('😀'.repeat(255) + 'xyz', 'lookup')).toHaveLength(513);
  });

  it('names the limit and the actual bytes', () => {
    const id = 'é'.repeat(600);
    expect(() => cosmosId(id, 'username lookup')).toThrow(
      /^username lookup id "é{80}"\.\.\. is 1200 bytes \(UTF-8\), over the Cosmos id limit of 1023 bytes$/,
    );
    expect(() => partitionKey('k'.repeat(3000), 'vote')).toThrow(
      /is 3000 bytes \(UTF-8\), over the Cosmos partition key limit of 2048 bytes$/,
    );
  });

  it('reports an empty id or one with a forbidden character', () => {
    for (const id of ['', 'a/b', 'a\\b', 'a?b', 'a#b'])
      expect(
        rowErrorCode(() => cosmosId(id, 'lookup')),
        id,
      ).toBe('INVALID_ID');
  });

  it('turns a NULL array into [] and keeps NULL elements', () => {
    expect(textArray(null)).toEqual([]);
    expect(textArray(['a', null])).toEqual(['a', null]);
  });
});
