import { Rng } from '@lel/core';
import { describe, expect, test } from 'vitest';
import { ORDERINGS, orderingKernelMask, visitRank } from './orderings';
import { sampleOrderingPair } from './sampling';

describe('orderings', () => {
  test('visit ranks are permutations and each ordering is a different scan', () => {
    const seen = new Set<string>();
    for (const o of ORDERINGS) {
      const r = visitRank(3, 4, o);
      expect([...r].sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i));
      seen.add(r.join(','));
    }
    expect(seen.size).toBe(8);
  });

  test('every masked kernel hides exactly p taps, and padding keeps H × W', () => {
    for (const k of [3, 5, 7]) {
      for (const o of ORDERINGS) {
        const { mask, padding } = orderingKernelMask(k, o);
        expect(mask.flat().filter((v) => v === 0).length).toBe((k - 1) / 2);
        expect(padding[0] + padding[1]).toBe(k - 1);
        expect(padding[2] + padding[3]).toBe(k - 1);
      }
    }
  });

  test('bad arguments are rejected by name', () => {
    expect(() => orderingKernelMask(4, 1)).toThrow(/kernelSize/);
    expect(() => orderingKernelMask(3, 9)).toThrow(/ordering/);
    expect(() => visitRank(0, 3, 1)).toThrow(/height/);
  });
});

describe('sampleOrderingPair', () => {
  test("'independent' may repeat an ordering, 'distinct' never does; both stay within the given set", () => {
    const rng = new Rng(0);
    let same = 0;
    for (let i = 0; i < 400; i++) {
      const [a, b] = sampleOrderingPair(rng, [2, 5, 7], 'independent');
      expect([2, 5, 7]).toContain(a);
      expect([2, 5, 7]).toContain(b);
      if (a === b) same++;
      const [c, d] = sampleOrderingPair(rng, [2, 5, 7], 'distinct');
      expect(c).not.toBe(d);
      expect([2, 5, 7]).toContain(c);
    }
    expect(same).toBeGreaterThan(80); // ≈ 1/3 of 400
    expect(same).toBeLessThan(190);
  });

  test('rejects unusable ordering sets', () => {
    const rng = new Rng(0);
    expect(() => sampleOrderingPair(rng, [], 'independent')).toThrow(/empty/);
    expect(() => sampleOrderingPair(rng, [3, 3], 'distinct')).toThrow(/two different/);
    expect(() => sampleOrderingPair(rng, [0, 1], 'independent')).toThrow(/1\.\.8/);
  });
});
