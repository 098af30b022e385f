/** A small seeded PRNG (mulberry32): the same seed gives the same sample, byte for byte. */
export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(maxExclusive: number): number {
    return Math.floor(this.next() * maxExclusive);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  uuid(): string {
    const hex = Array.from({ length: 32 }, () => this.int(16).toString(16));
    hex[12] = '4';
    hex[16] = ((this.int(4) + 8) as number).toString(16);
    const s = hex.join('');
    return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
  }

  /** Power-law count with the given mean-ish scale, capped. */
  powerLaw(scale: number, cap: number): number {
    return Math.min(
      cap,
      Math.floor(scale / Math.pow(1 - this.next(), 1 / 1.8)) - Math.floor(scale / 2),
    );
  }

  /** Geometric-like count around `mean`. */
  count(mean: number): number {
    return Math.floor(-Math.log(1 - this.next()) * mean);
  }
}

const BASE_MICROS = Date.UTC(2024, 0, 1) * 1000;

/** PostgreSQL timestamptz text with microseconds, `micros` after 2024-01-01. */
export function pgTimestamp(micros: number): string {
  const total = BASE_MICROS + Math.floor(micros);
  const date = new Date(Math.floor(total / 1000));
  const fraction = String(total % 1_000_000).padStart(6, '0');
  return `${date.toISOString().slice(0, 19).replace('T', ' ')}.${fraction}+00`;
}

export const DAY_MICROS = 86_400_000_000;

/** A PostgreSQL array literal for TEXT[] (quoted, so any text survives). */
export function pgTextArray(items: string[] | null): string | null {
  if (items === null) return null;
  return `{${items.map((item) => `"${item.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`;
}
