/** Seeded randomness: every value the seeder produces comes from here, so equal options give equal data. */

export type Rng = () => number;

/** Murmur3's finalizer: a bijection on 32-bit integers with good avalanche. */
function fmix32(value: number): number {
  let h = value >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Salts keep the streams of different tables and purposes apart. */
export const Stream = {
  user: 1,
  post: 2,
  comment: 3,
  vote: 4,
  orphanTarget: 5,
  postThread: 6,
  postVotes: 7,
  commentVotes: 8,
} as const;
export type Stream = (typeof Stream)[keyof typeof Stream];

function streamKey(seed: number, stream: Stream): number {
  return fmix32(fmix32(seed ^ 0x9e3779b9) ^ Math.imul(stream, 0x27d4eb2f));
}

/** mulberry32: small, fast, and good enough for sample data. */
export function mulberry32(seed: number): Rng {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An independent stream per entity, so an entity's values do not depend on generation order. */
export function rngFor(seed: number, stream: Stream, index: number): Rng {
  return mulberry32(fmix32(index ^ streamKey(seed, stream)));
}

const hex = (word: number) => (word >>> 0).toString(16).padStart(8, '0');

/**
 * A UUID v4-formatted id for the index-th entity of a stream. The first word is a bijection of
 * the index, so ids of one stream never collide (a 32-bit PRNG seed alone would, by birthday).
 */
export function entityId(seed: number, stream: Stream, index: number): string {
  const w0 = fmix32(index ^ streamKey(seed, stream));
  const w1 = fmix32(w0 ^ 0x68e31da4);
  const w2 = fmix32(w1 ^ 0xb5297a4d);
  const w3 = fmix32(w2 ^ 0x1b56c4e9);
  const versioned = ((w1 & 0xffff0fff) | 0x00004000) >>> 0;
  const variant = ((w2 & 0x3fffffff) | 0x80000000) >>> 0;
  const h = hex(w0) + hex(versioned) + hex(variant) + hex(w3);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function intBelow(rng: Rng, bound: number): number {
  return Math.floor(rng() * bound);
}

export function chance(rng: Rng, probability: number): boolean {
  return rng() < probability;
}

export function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[intBelow(rng, items.length)] as T;
}

/** Several distinct items, in the order drawn. */
export function pickSome<T>(rng: Rng, items: readonly T[], count: number): T[] {
  const pool = [...items];
  const chosen: T[] = [];
  while (chosen.length < count && pool.length > 0)
    chosen.push(pool.splice(intBelow(rng, pool.length), 1)[0] as T);
  return chosen;
}

/**
 * A heavy-tailed count (Lomax, shape 1.8): most draws are small, a few are large, like posts per
 * user or votes per post in a real app. `scale` sets the mean, `cap` the largest value.
 */
export function heavyTailCount(rng: Rng, scale: number, cap: number): number {
  const u = 1 - rng(); // (0, 1]: avoids an infinite draw
  return Math.min(cap, Math.floor(scale * (u ** (-1 / 1.8) - 1)));
}

/** Exponentially distributed, for waiting times. */
export function exponential(rng: Rng, mean: number): number {
  return -Math.log(1 - rng()) * mean;
}

/** Rounded to `digits` decimals, as a model's output would be. */
export function rounded(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
