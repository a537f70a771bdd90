/**
 * A small seeded PRNG (mulberry32) for the differential tests: the same seed gives the same
 * sequence on every machine, so a failing seed is a reproducer.
 */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A number in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One element of a non-empty list, uniformly. */
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** One of the values, by weight. */
  weighted<T>(entries: readonly (readonly [weight: number, value: T])[]): T {
    const total = entries.reduce((sum, [weight]) => sum + weight, 0);
    let at = this.next() * total;
    for (const [weight, value] of entries) {
      if (at < weight) return value;
      at -= weight;
    }
    return entries[entries.length - 1]![1];
  }

  /** `count` different elements of a list (all of them if it is shorter), in random order. */
  sample<T>(items: readonly T[], count: number): T[] {
    const copy = [...items];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [copy[i], copy[j]] = [copy[j]!, copy[i]!];
    }
    return copy.slice(0, count);
  }
}

/**
 * The seeds a seeded test runs: `defaults` (fixed, so that CI always tests the same objects), or
 * those ROUTEMARK_DIFF_SEED names by hand: one (`7`), a range (`100-199`), or a list of either
 * (`3,9,20-30`).
 */
export function seedsToRun(defaults: readonly number[]): number[] {
  const chosen = process.env.ROUTEMARK_DIFF_SEED;
  if (chosen === undefined || chosen.trim() === '') return [...defaults];
  return chosen.split(',').flatMap((part) => {
    const match = /^\s*(\d{1,10})\s*(?:-\s*(\d{1,10})\s*)?$/.exec(part);
    const first = Number(match?.[1]);
    const last = Number(match?.[2] ?? match?.[1]);
    if (!match || first > last || last > 0xffffffff) throw new Error(`ROUTEMARK_DIFF_SEED must be seeds (0..2^32-1), ranges of them (100-199), or a list of either (3,9,20-30), not ${chosen}`);
    return Array.from({ length: last - first + 1 }, (_, i) => first + i);
  });
}
