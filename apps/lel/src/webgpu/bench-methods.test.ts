import { describe, expect, test } from 'vitest';
import { benchMethods, maxRelDiff, methodTable } from './bench-methods';

describe('bench:gpu:methods', () => {
  test('maxRelDiff: the largest step-wise relative difference; NaN when the series do not line up', () => {
    expect(maxRelDiff([1, 2], [1, 2])).toBe(0);
    expect(maxRelDiff([1.1, 2], [1, 2])).toBeCloseTo(0.1, 12);
    expect(maxRelDiff([0, 1e-7], [0, 0])).toBeCloseTo(0.1, 12); // |b| floored at 1e-6
    expect(maxRelDiff([1], [1, 2])).toBeNaN();
    expect(maxRelDiff([], [])).toBeNaN();
  });

  test('--reference trains each recipe the same steps on a second backend and compares the losses', async () => {
    const log: string[] = [];
    const rows = await benchMethods({ recipes: ['mil-ib'], backend: 'cpu', reference: 'cpu', warmup: 0, steps: 1, sets: [], log: (l) => log.push(l) });
    expect(rows).toHaveLength(1);
    const [row] = rows;
    expect(row!.error).toBeUndefined();
    expect(row!.losses).toHaveLength(2); // 1 timed + 1 profiled step
    expect(row!.losses!.every(Number.isFinite)).toBe(true);
    // The same config and seed on the same backend: the same losses, bit for bit.
    expect(row!.reference!.backend).toMatch(/^cpu /);
    expect(row!.reference!.losses).toEqual(row!.losses);
    expect(row!.reference!.maxRelDiff).toBe(0);
    expect(methodTable(rows)).toMatch(/max rel\. loss diff vs cpu[^\n]*\n[^\n]*\nmil-ib \| @lel\/vib \| [\d.]+ \| [\d.]* \| \d* \| [\d.]+ → [\d.]+ \| 0\.0e\+0 \|/);
  }, 120_000);
});
