import { describe, expect, it } from 'vitest';
import { holdoutSplit, partSize } from './holdout';

const labels = Int32Array.from({ length: 100 }, (_, i) => (i < 80 ? 0 : i < 95 ? 1 : 2));
const count = (idx: number[], c: number) => idx.filter((i) => labels[i] === c).length;

describe('holdoutSplit', () => {
  it('partitions into train/dev/test, stratified, deterministic in the seed', () => {
    const s = holdoutSplit({ n: 100, labels, dev: 0.2, test: 10, seed: 3 });
    expect([s.train.length, s.dev.length, s.test.length]).toEqual([70, 20, 10]);
    expect([...s.train, ...s.dev, ...s.test].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect([count(s.dev, 0), count(s.dev, 1), count(s.dev, 2)]).toEqual([16, 3, 1]);
    expect(count(s.test, 2)).toBe(1); // the rare class keeps a sample in the small test part
    expect(holdoutSplit({ n: 100, labels, dev: 0.2, test: 10, seed: 3 })).toEqual(s);
    expect(holdoutSplit({ n: 100, labels, dev: 0.2, test: 10, seed: 4 }).dev).not.toEqual(s.dev);
    expect(holdoutSplit({ n: 5, seed: 0 })).toEqual({ train: [0, 1, 2, 3, 4], dev: [], test: [] });
  });

  it('rejects sizes that are neither fractions nor counts, or leave nothing to train on', () => {
    expect(partSize(0.25, 10, 'dev')).toBe(3);
    expect(partSize(0.01, 10, 'dev')).toBe(1);
    expect(() => partSize(1.5, 10, 'data.devFraction')).toThrow(/data\.devFraction must be a fraction in \(0, 1\) or a whole count ≥ 1, got 1\.5/);
    expect(() => holdoutSplit({ n: 4, dev: 2, test: 2, seed: 0 })).toThrow(/leave no training sample of 4/);
  });
});
