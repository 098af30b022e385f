import { exponential, intBelow, Rng } from './random';

/** Timestamps are microseconds since the epoch (safe integers until the year 2255). */
export type Micros = number;

export const BASE_TIME: Micros = Date.parse('2024-01-01T00:00:00Z') * 1000;
export const SECOND: Micros = 1_000_000;
export const HOUR: Micros = 3600 * SECOND;
export const DAY: Micros = 24 * HOUR;

/**
 * `base` plus a random wait, with a sub-millisecond part that is never zero: PostgreSQL keeps
 * microseconds, and a migration that drops them must be caught by the data.
 */
export function later(rng: Rng, base: Micros, meanWait: Micros, maxWait: Micros): Micros {
  const wait = Math.min(maxWait, Math.floor(exponential(rng, meanWait)));
  const millis = Math.floor((base + wait) / 1000) + 1;
  return millis * 1000 + 1 + intBelow(rng, 999);
}

/** `2024-03-05T10:11:12.123456Z`: PostgreSQL reads it exactly, with no rounding through a Date. */
export function isoMicros(value: Micros): string {
  const iso = new Date(Math.floor(value / 1000)).toISOString(); // ...ss.mmmZ
  const micros = String(value % 1000).padStart(3, '0');
  return `${iso.slice(0, -1)}${micros}Z`;
}
