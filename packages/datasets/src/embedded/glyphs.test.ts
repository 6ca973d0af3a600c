import { describe, expect, it } from 'vitest';
import { glyphClassSplits, listGlyphCharacters, makeGlyphFewShot } from './glyphs';

describe('glyph class pool and splits', () => {
  it('lists thousands of characters and splits them into disjoint, seeded base/val/novel sets', () => {
    const pool = listGlyphCharacters();
    expect(pool.length).toBeGreaterThan(3000);
    expect(listGlyphCharacters({ maxStrokes: 4 }).length).toBeLessThan(pool.length);
    const s = glyphClassSplits(0);
    expect([s.base.length, s.val.length, s.novel.length]).toEqual([1600, 400, 800]);
    expect(new Set([...s.base, ...s.val, ...s.novel]).size).toBe(2800);
    expect(glyphClassSplits(0)).toEqual(s);
    expect(glyphClassSplits(1).novel).not.toEqual(s.novel);
    expect(() => glyphClassSplits(0, { base: 5000 })).toThrow(/requested but the pool has/);
  });
});

function dist(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return s;
}

describe('makeGlyphFewShot', () => {
  const classes = glyphClassSplits(0).novel.slice(0, 6);
  const d = makeGlyphFewShot({ classes, perClass: 5, seed: 0 });
  const img = (i: number) => d.images.subarray(i * 784, (i + 1) * 784);

  it('renders perClass drawings per class at 28×28 in [0, 1], deterministically', () => {
    expect([d.n, d.height, d.width, d.channels]).toEqual([30, 28, 28, 1]);
    expect(d.classNames).toEqual(classes);
    expect(Array.from(d.labels.subarray(0, 6))).toEqual([0, 0, 0, 0, 0, 1]);
    for (const v of d.images) expect(v >= 0 && v <= 1).toBe(true);
    const again = makeGlyphFewShot({ classes, perClass: 5, seed: 0 });
    expect(Buffer.from(again.images.buffer).equals(Buffer.from(d.images.buffer))).toBe(true);
    // The same (seed, character, j) gives the same drawing whatever the other classes are.
    const one = makeGlyphFewShot({ classes: [classes[2]!], perClass: 5, seed: 0 });
    expect(Array.from(one.images)).toEqual(Array.from(d.images.subarray(10 * 784, 15 * 784)));
    expect(makeGlyphFewShot({ classes: 3, perClass: 1, size: 32, seed: 0 }).height).toBe(32);
  });

  it('gives each class many different drawers that still resemble each other more than other classes', () => {
    for (let i = 0; i < 30; i++) expect(img(i).reduce((a, b) => a + b, 0)).toBeGreaterThan(20); // ink is drawn
    expect(dist(img(0), img(1))).toBeGreaterThan(5); // drawers differ
    // Leave-one-out 1-nearest-neighbour accuracy far above chance (1/6) on raw pixels.
    let correct = 0;
    for (let i = 0; i < d.n; i++) {
      let best = -1;
      let bestD = Infinity;
      for (let j = 0; j < d.n; j++) {
        if (j === i) continue;
        const dd = dist(img(i), img(j));
        if (dd < bestD) [best, bestD] = [j, dd];
      }
      if (d.labels[best] === d.labels[i]) correct++;
    }
    expect(correct / d.n).toBeGreaterThan(0.5);
    // Without jitter every drawing of a class is the same skeleton up to pen width.
    const clean = makeGlyphFewShot({ classes: [classes[0]!], perClass: 2, seed: 0, jitter: 0 });
    expect(dist(clean.images.subarray(0, 784), clean.images.subarray(784))).toBeLessThan(dist(img(0), img(1)));
  });
});
