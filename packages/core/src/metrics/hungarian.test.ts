import { describe, expect, test } from 'vitest';
import seedrandom from 'seedrandom';
import { hungarianMatch } from './hungarian';

// Exhaustive maximum over injective row→column maps (reference for small sizes).
function bruteForce(counts: number[][]): number {
  const rows = counts.length;
  const cols = counts[0]!.length;
  let best = -Infinity;
  const used = new Array<boolean>(cols).fill(false);
  const go = (i: number, sum: number, matchedRows: number): void => {
    if (i === rows) {
      if (matchedRows === Math.min(rows, cols)) best = Math.max(best, sum);
      return;
    }
    if (rows - i > cols - matchedRows) go(i + 1, sum, matchedRows); // leave row i unmatched
    for (let j = 0; j < cols; j++) {
      if (used[j]) continue;
      used[j] = true;
      go(i + 1, sum + counts[i]![j]!, matchedRows + 1);
      used[j] = false;
    }
  };
  go(0, 0, 0);
  return best;
}

describe('hungarianMatch', () => {
  test('matches the exhaustive optimum on random square and rectangular matrices', () => {
    const rng = seedrandom('hungarian');
    for (let trial = 0; trial < 60; trial++) {
      const rows = 1 + Math.floor(rng() * 6);
      const cols = 1 + Math.floor(rng() * 6);
      // Small integers make ties frequent.
      const counts = Array.from({ length: rows }, () => Array.from({ length: cols }, () => Math.floor(rng() * 5)));
      const r = hungarianMatch(counts);
      expect(r.matched).toBe(bruteForce(counts));
      const assigned = r.mapping.filter((j) => j >= 0);
      expect(assigned.length).toBe(Math.min(rows, cols));
      expect(new Set(assigned).size).toBe(assigned.length);
      expect(r.mapping.reduce((s, j, i) => s + (j >= 0 ? counts[i]![j]! : 0), 0)).toBe(r.matched);
    }
  });

  test('clustering accuracy of a permuted confusion', () => {
    const r = hungarianMatch([
      [0, 9, 1],
      [8, 0, 2],
      [1, 1, 7],
    ]);
    expect(r.mapping).toEqual([1, 0, 2]);
    expect(r.matched).toBe(24);
    expect(r.accuracy).toBeCloseTo(24 / 29, 12);
    expect(hungarianMatch([[0, 0]]).accuracy).toBe(0);
  });

  test('rejects empty, ragged and non-finite input', () => {
    expect(() => hungarianMatch([])).toThrow(/no rows/);
    expect(() => hungarianMatch([[]])).toThrow(/no columns/);
    expect(() => hungarianMatch([[1, 2], [3]])).toThrow(/row 1 .* has 1 entries, expected 2/);
    expect(() => hungarianMatch([[1, NaN]])).toThrow(/counts\[0\]\[1\] = NaN is not finite/);
  });
});
