import { describe, expect, it } from 'vitest';
import { Rng } from '../random/rng';
import { batches, indicesByClass } from './batches';

describe('batches', () => {
  const idx = Array.from({ length: 10 }, (_, i) => i + 100);
  it('covers every index once per epoch, shuffled by the rng', () => {
    const out = [...batches(idx, 4, new Rng(1))];
    expect(out.map((b) => b.length)).toEqual([4, 4, 2]);
    expect(out.flat().sort()).toEqual(idx);
    expect(out.flat()).not.toEqual(idx);
    expect([...batches(idx, 4, new Rng(1))]).toEqual(out);
  });

  it('keeps order without shuffling and drops the last short batch on request', () => {
    expect([...batches(idx, 4, new Rng(0), { shuffle: false, dropLast: true })]).toEqual([idx.slice(0, 4), idx.slice(4, 8)]);
    expect(() => [...batches(idx, 0, new Rng(0))]).toThrow(/batchSize must be a positive integer/);
  });
});

describe('indicesByClass', () => {
  it('groups indices by label in ascending label order', () => {
    expect([...indicesByClass([2, 0, 2, 1, 0])]).toEqual([[0, [1, 4]], [1, [3]], [2, [0, 2]]]);
  });
});
