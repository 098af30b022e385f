import { randomInt } from 'node:crypto';
import { mulberry32, Rng } from '../source/seed/random';

/** The traffic's choices: seeded, so a run's mix can be repeated (ids stay random UUIDs). */
export interface Chooser {
  readonly seed: number;
  /** In [0, 1). */
  next(): number;
  /** An integer in [0, n). */
  below(n: number): number;
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T | undefined;
  /** A key of `weights`, in proportion to its weight. */
  weighted<K extends string>(weights: Readonly<Record<K, number>>): K;
}

export function chooser(seed: number = randomInt(2 ** 31)): Chooser {
  const rng: Rng = mulberry32(seed);
  const below = (n: number) => Math.min(n - 1, Math.floor(rng() * n));
  return {
    seed,
    next: rng,
    below,
    chance: (p) => rng() < p,
    pick: (items) => (items.length === 0 ? undefined : items[below(items.length)]),
    weighted<K extends string>(weights: Readonly<Record<K, number>>): K {
      const entries = Object.entries(weights) as [K, number][];
      const total = entries.reduce((sum, [, weight]) => sum + weight, 0);
      let point = rng() * total;
      for (const [key, weight] of entries) {
        point -= weight;
        if (point < 0) return key;
      }
      return entries.at(-1)![0];
    },
  };
}
