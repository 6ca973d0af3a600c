import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { labeledUnlabeledSplit } from './labeled-split';
import { loadSplit, saveSplit } from './split-file';

// 3 classes with 60 / 30 / 10 samples, interleaved.
const labels = Int32Array.from({ length: 100 }, (_, i) => (i % 10 < 6 ? 0 : i % 10 < 9 ? 1 : 2));

function countByClass(idx: number[]): number[] {
  const c = [0, 0, 0];
  for (const i of idx) c[labels[i]!]!++;
  return c;
}

describe('labeledUnlabeledSplit', () => {
  it('keeps class proportions, partitions all indices and is seeded', () => {
    const s = labeledUnlabeledSplit({ labels, fraction: 0.1, seed: 3 });
    expect(countByClass(s.labeled)).toEqual([6, 3, 1]);
    expect([...s.labeled, ...s.unlabeled].sort((a, b) => a - b)).toEqual([...labels.keys()]);
    expect(s.labeled).toEqual([...s.labeled].sort((a, b) => a - b));
    expect(labeledUnlabeledSplit({ labels, fraction: 0.1, seed: 3 })).toEqual(s);
    expect(labeledUnlabeledSplit({ labels, fraction: 0.1, seed: 4 }).labeled).not.toEqual(s.labeled);
  });

  it('gives every class a labelled sample at tiny budgets and honours exact counts', () => {
    const s = labeledUnlabeledSplit({ labels, count: 3, seed: 0 });
    expect(countByClass(s.labeled)).toEqual([1, 1, 1]);
    expect(labeledUnlabeledSplit({ labels, count: 37, seed: 0 }).labeled).toHaveLength(37);
    const plain = labeledUnlabeledSplit({ labels, count: 20, stratified: false, seed: 0 });
    expect(plain.labeled).toHaveLength(20);
    expect(() => labeledUnlabeledSplit({ labels, count: 101, seed: 0 })).toThrow(/count must be an integer in \[0, 100\]/);
    expect(() => labeledUnlabeledSplit({ labels, seed: 0 })).toThrow(/exactly one of fraction and count/);
  });
});

describe('saveSplit / loadSplit', () => {
  it('round-trips through an atomic JSON write with metadata', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lel-split-'));
    const path = join(dir, 'nested', 'split.json');
    const s = labeledUnlabeledSplit({ labels, fraction: 0.2, seed: 1 });
    saveSplit(path, s, { seed: 1, fraction: 0.2 });
    expect(readdirSync(join(dir, 'nested'))).toEqual(['split.json']); // no temporary file left behind
    const back = loadSplit(path, 100);
    expect(back.labeled).toEqual(s.labeled);
    expect(back.unlabeled).toEqual(s.unlabeled);
    expect(back.meta).toEqual({ seed: 1, fraction: 0.2 });
  });

  it('rejects corrupt, mismatched and overlapping split files, naming the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lel-split-'));
    const path = join(dir, 'split.json');
    saveSplit(path, { labeled: [0], unlabeled: [1, 2] });
    expect(() => loadSplit(path, 4)).toThrow(/split\.json: split covers 3 samples but the dataset has 4/);
    writeFileSync(path, '{"format":"lel-split","version":1,"n":3,"labeled":[0,1],"unlabeled":[1,2]}');
    expect(() => loadSplit(path)).toThrow(/split\.json: index 1 appears twice/);
    writeFileSync(path, '{"format":"lel-split","version":1,"n":3,"labeled":[0],"unlabeled":[1,7]}');
    expect(() => loadSplit(path)).toThrow(/split\.json: unlabeled index 7 is not an integer in \[0, 3\)/);
    writeFileSync(path, '{"format":"lel-split","ver');
    expect(() => loadSplit(path)).toThrow(/split\.json: unreadable split file/);
    writeFileSync(path, '{"labeled":[]}');
    expect(() => loadSplit(path)).toThrow(/split\.json: not a version-1 lel split file/);
  });
});
