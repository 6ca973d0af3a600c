import { describe, expect, it } from 'vitest';
import { fewSampleSubset } from './few-sample';

const labels = Int32Array.from({ length: 50 }, (_, i) => (i < 40 ? 0 : 1));

describe('fewSampleSubset', () => {
  it('draws K per class, seeded', () => {
    const s = fewSampleSubset({ labels, perClass: 4, seed: 1 });
    expect(s).toHaveLength(8);
    expect(s.filter((i) => labels[i] === 1)).toHaveLength(4);
    expect(new Set(s).size).toBe(8);
    expect(fewSampleSubset({ labels, perClass: 4, seed: 1 })).toEqual(s);
    expect(fewSampleSubset({ labels, perClass: 4, seed: 2 })).not.toEqual(s);
  });

  it('allocates a total budget proportionally and rejects impossible requests', () => {
    const s = fewSampleSubset({ labels, total: 10, seed: 0 });
    expect(s.filter((i) => labels[i] === 0)).toHaveLength(8);
    expect(() => fewSampleSubset({ labels, perClass: 11, seed: 0 })).toThrow(/class 1 has 10 samples, fewer than perClass = 11/);
  });
});
