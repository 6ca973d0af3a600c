import type { Rng } from '@lel/core';

/**
 * Splits `total` among groups proportionally to their sizes by the largest-remainder method, so the parts
 * sum exactly to `total` and no group gets more than it has. Ties go to the earlier group (deterministic).
 */
export function proportionalAllocation(sizes: number[], total: number): number[] {
  const n = sizes.reduce((a, b) => a + b, 0);
  if (total > n) throw new Error(`cannot allocate ${total} of ${n} items`);
  if (n === 0) return sizes.map(() => 0);
  const exact = sizes.map((s) => (s * total) / n);
  const alloc = exact.map(Math.floor);
  let left = total - alloc.reduce((a, b) => a + b, 0);
  const order = exact.map((e, i) => ({ r: e - Math.floor(e), i })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (const { i } of order) {
    if (left === 0) break;
    if (alloc[i]! < sizes[i]!) {
      alloc[i]!++;
      left--;
    }
  }
  return alloc;
}

/** Takes `k` indices of `pool` at random (the pool is copied, not mutated). */
export function takeRandom(pool: readonly number[], k: number, rng: Rng): number[] {
  return rng.sample(pool.length, k).map((j) => pool[j]!);
}
