import { describe, expect, it } from 'vitest';
import {
  compareLsn,
  formatLsn,
  maxLsn,
  normalizeLsn,
  parseLsn,
} from '../../../../src/shared/sync/replication/lsn';
import { assertOwnNames, replicationNames } from '../../../../src/shared/sync/replication/names';

describe('WAL positions', () => {
  it('parses X/Y as a 64-bit number and prints it as PostgreSQL does', () => {
    expect(parseLsn('0/1530BC0')).toBe(0x1530bc0n);
    expect(parseLsn('16/B374D848')).toBe((0x16n << 32n) | 0xb374d848n);
    expect(parseLsn('FFFFFFFF/FFFFFFFF')).toBe(2n ** 64n - 1n);
    expect(formatLsn(0x1530bc0n)).toBe('0/1530BC0');
    expect(formatLsn((0x16n << 32n) | 0xb374d848n)).toBe('16/B374D848');
    // The pgoutput parser pads; the server does not.
    expect(normalizeLsn('00000000/01530BC0')).toBe('0/1530BC0');
    expect(normalizeLsn('16/b374d848')).toBe('16/B374D848');
  });

  it('compares as numbers, where text comparison would be wrong', () => {
    expect(compareLsn('0/9', '0/10')).toBeLessThan(0); // "0/9" > "0/10" as text
    expect(compareLsn('1/0', '0/FFFFFFFF')).toBeGreaterThan(0);
    expect(compareLsn('00000000/01530BC0', '0/1530BC0')).toBe(0);
    expect(maxLsn('0/9', '0/10')).toBe('0/10');
    expect(maxLsn('00000001/00000000', '0/FFFFFFFF')).toBe('1/0');
  });

  it('rejects what is not a position', () => {
    for (const text of ['', '0', '0/', '/1', '0/1/2', 'G/0', '123456789/0', ' 0/1']) {
      expect(() => parseLsn(text), text).toThrow(
        expect.objectContaining({ code: 'SYNC_INVALID_LSN' }),
      );
    }
    expect(() => formatLsn(-1n)).toThrow(expect.objectContaining({ code: 'SYNC_INVALID_LSN' }));
    expect(() => formatLsn(2n ** 64n)).toThrow(
      expect.objectContaining({ code: 'SYNC_INVALID_LSN' }),
    );
  });
});

describe('slot and publication names', () => {
  it("carry this tool's prefixes and fit PostgreSQL's 63-byte names", () => {
    expect(replicationNames('prod')).toEqual({
      slot: 'cosmos_migration_slot_prod',
      publication: 'cosmos_migration_pub_prod',
    });
    const longest = 'a'.repeat(41);
    expect(replicationNames(longest).slot).toHaveLength(63);
    for (const bad of ['', 'a'.repeat(42), 'Prod', 'a-b', 'a b', 'ä']) {
      expect(() => replicationNames(bad), bad).toThrow(
        expect.objectContaining({ code: 'SYNC_INVALID_NAME' }),
      );
    }
  });

  it('refuses names that are not a pair this tool made, so tear-down touches only its own', () => {
    expect(assertOwnNames(replicationNames('x'))).toEqual(replicationNames('x'));
    for (const names of [
      { slot: 'someone_elses', publication: 'cosmos_migration_pub_x' },
      { slot: 'cosmos_migration_slot_x', publication: 'someone_elses' },
      { slot: 'cosmos_migration_slot_x', publication: 'cosmos_migration_pub_y' },
    ]) {
      expect(() => assertOwnNames(names)).toThrow(
        expect.objectContaining({ code: 'SYNC_INVALID_NAME' }),
      );
    }
  });
});
