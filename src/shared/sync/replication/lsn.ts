import { syncError } from './errors';

/**
 * A WAL position as PostgreSQL prints it, `X/Y`: upper-case hex, no zero padding
 * (`0/1530BC0`). Everything this folder returns is in this form; anything it accepts may be
 * padded or lower-case (the pgoutput parser gives `00000000/01530BC0`).
 */
export type Lsn = string;

const LSN_PATTERN = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/;

/** The 64-bit position. Strings do not compare: `0/9` > `0/10` as text, and padding varies. */
export function parseLsn(text: string): bigint {
  const match = LSN_PATTERN.exec(text);
  if (!match) {
    throw syncError('SYNC_INVALID_LSN', `"${text}" is not a WAL position (X/Y in hex)`, 400);
  }
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}

export function formatLsn(value: bigint): Lsn {
  if (value < 0n || value > 0xffff_ffff_ffff_ffffn) {
    throw syncError('SYNC_INVALID_LSN', `${value} is outside the 64-bit WAL range`, 400);
  }
  const high = (value >> 32n).toString(16).toUpperCase();
  const low = (value & 0xffff_ffffn).toString(16).toUpperCase();
  return `${high}/${low}`;
}

export function normalizeLsn(text: string): Lsn {
  return formatLsn(parseLsn(text));
}

/** Negative, zero or positive, as `a` is before, at or after `b`. */
export function compareLsn(a: string, b: string): number {
  const x = parseLsn(a);
  const y = parseLsn(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

export function maxLsn(a: string, b: string): Lsn {
  return normalizeLsn(compareLsn(a, b) >= 0 ? a : b);
}
