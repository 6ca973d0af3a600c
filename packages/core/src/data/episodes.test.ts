import { describe, expect, it } from 'vitest';
import { EpisodeSampler } from './episodes';

// 8 classes × 10 samples, plus class 8 with only 3 samples (too few for 2-shot + 3 queries).
const labels = Int32Array.from([...Array.from({ length: 80 }, (_, i) => i % 8), 8, 8, 8]);

describe('EpisodeSampler', () => {
  it('draws N-way K-shot episodes with disjoint support and query', () => {
    const s = new EpisodeSampler({ labels, nWay: 5, kShot: 2, nQuery: 3, seed: 0 });
    expect(s.episodes).toBe(600);
    expect(s.eligibleClasses).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    let count = 0;
    for (const ep of s) {
      count++;
      expect(new Set(ep.classes).size).toBe(5);
      expect(ep.support).toHaveLength(10);
      expect(ep.query).toHaveLength(15);
      expect(new Set([...ep.support, ...ep.query]).size).toBe(25);
      ep.support.forEach((i, j) => expect(labels[i]).toBe(ep.classes[ep.supportLabels[j]!]));
      ep.query.forEach((i, j) => expect(labels[i]).toBe(ep.classes[ep.queryLabels[j]!]));
    }
    expect(count).toBe(600);
  });

  it('is deterministic per episode index and varies across episodes and seeds', () => {
    const a = new EpisodeSampler({ labels, nWay: 3, kShot: 1, nQuery: 2, episodes: 10, seed: 'x' });
    const b = new EpisodeSampler({ labels, nWay: 3, kShot: 1, nQuery: 2, episodes: 10, seed: 'x' });
    expect(b.episode(7)).toEqual(a.episode(7));
    expect([...a][7]).toEqual(a.episode(7));
    expect(a.episode(1)).not.toEqual(a.episode(2));
    expect(new EpisodeSampler({ labels, nWay: 3, kShot: 1, nQuery: 2, seed: 'y' }).episode(7)).not.toEqual(a.episode(7));
  });

  it('uses every eligible class over many episodes and rejects impossible settings', () => {
    const s = new EpisodeSampler({ labels, nWay: 2, kShot: 1, nQuery: 1, episodes: 200, seed: 0 });
    const seen = new Set<number>();
    for (const ep of s) ep.classes.forEach((c) => seen.add(c));
    expect([...seen].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(() => new EpisodeSampler({ labels, nWay: 9, kShot: 5, nQuery: 6, seed: 0 })).toThrow(/needs 9 classes with ≥ 11 samples; only 0 have enough/);
    expect(() => new EpisodeSampler({ labels, nWay: 0, kShot: 1, nQuery: 1, seed: 0 })).toThrow(/nWay must be a positive integer/);
  });
});
