import { Timestamp } from '../app-data/model';

/**
 * Model timestamps from the real clock (UTC, microseconds, `...Z`), each later than the one
 * before: two writes in the same millisecond still get distinct, ordered times.
 */
export function modelClock(now: () => number = Date.now): () => Timestamp {
  let last = 0;
  return () => {
    const micros = Math.max(Math.floor(now()) * 1000, last + 1);
    last = micros;
    const seconds = new Date(Math.floor(micros / 1000)).toISOString().slice(0, 19);
    return `${seconds}.${String(micros % 1_000_000).padStart(6, '0')}Z`;
  };
}
