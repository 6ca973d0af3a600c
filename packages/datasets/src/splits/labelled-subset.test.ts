import { describe, expect, it } from 'vitest';
import { labelledSubset } from './labelled-subset';

const labels = Int32Array.from({ length: 100 }, (_, i) => (i < 80 ? 0 : i < 95 ? 1 : 2));
const count = (idx: number[], c: number) => idx.filter((i) => labels[i] === c).length;

describe('labelledSubset', () => {
  const pool = Array.from({ length: 100 }, (_, i) => i).filter((i) => i % 10 !== 0);
  it('keeps a stratified fraction, a count or K per class labelled; the rest is unlabelled', () => {
    const f = labelledSubset(pool, { fraction: 0.2 }, { labels, seed: 1 });
    expect(f.labelled.length + f.unlabelled.length).toBe(90);
    expect(f.labelled.length).toBe(18);
    expect([...f.labelled, ...f.unlabelled].sort((a, b) => a - b)).toEqual(pool);
    expect(f.labelled.every((i) => i % 10 !== 0)).toBe(true);
    const k = labelledSubset(pool, { perClass: 3 }, { labels, seed: 1 });
    expect([count(k.labelled, 0), count(k.labelled, 1), count(k.labelled, 2)]).toEqual([3, 3, 3]);
    expect(labelledSubset(pool, {}, { seed: 1 })).toEqual({ labelled: pool, unlabelled: [] });
    expect(labelledSubset(pool, { count: 5 }, { seed: 1 }).labelled.length).toBe(5);
  });

  it('explains what is missing', () => {
    expect(() => labelledSubset(pool, { perClass: 2 }, { seed: 0 })).toThrow(/perClass needs labels/);
    expect(() => labelledSubset(pool, { fraction: 0.5, count: 3 }, { seed: 0 })).toThrow(/at most one of/);
  });
});
