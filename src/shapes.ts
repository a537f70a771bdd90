/**
 * Keeps one instance of each class that bulk calls make per call, for the life of the process.
 *
 * V8's optimized code checks the hidden classes ("maps") of the objects it works on, and holds
 * those maps weakly. A class with no live instance left loses its map at the next
 * memory-reducing collection, which V8 runs when the process idles, and every function optimized
 * for that map is thrown away with it. The next bulk call then runs unoptimized, three to five
 * times slower (10k rules: 40-60 ms instead of 10-15), until V8 has optimized its loops again.
 * One kept instance keeps the map, and with it the code.
 */
const kept: object[] = [];

/**
 * Keeps `instance` alive for good, so that its hidden class outlives every call. Give a freshly
 * constructed instance, made as calls make theirs: its map is then the one their objects have.
 */
export function keepShape<T extends object>(instance: T): T {
  kept.push(instance);
  return instance;
}
