import { describe, expect, it } from 'vitest';
import { Rng } from '../random/rng';
import { horizontalFlip, randomScaleCropFlip } from './geometric';
import type { HwcImage } from './image';
import { colorJitter, randomGrayscale, randomResizedCrop } from './photometric';
import { resizeImageBilinear as resizeBilinear, resizeMaskNearest as resizeNearest } from './resize';

function gradient(h: number, w: number, c: number): HwcImage {
  return { data: Float32Array.from({ length: h * w * c }, (_, i) => (i % (w * c)) / (w * c)), height: h, width: w, channels: c };
}

describe('resize', () => {
  it('keeps constant images constant and interpolates halfway values', () => {
    const img = { data: new Float32Array(12).fill(0.3), height: 2, width: 2, channels: 3 };
    for (const v of resizeBilinear(img, 5, 3).data) expect(v).toBeCloseTo(0.3, 6);
    const two = resizeBilinear({ data: Float32Array.from([0, 1]), height: 1, width: 2, channels: 1 }, 1, 4);
    expect(Array.from(two.data)).toEqual([0, 0.25, 0.75, 1]);
  });

  it('resizes masks by nearest neighbour, never inventing labels', () => {
    const m = Int32Array.from([1, 2, 3, 255]);
    expect(Array.from(resizeNearest(m, 2, 2, 4, 4))).toEqual([1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 255, 255, 3, 3, 255, 255]);
    const down = resizeNearest(Int32Array.from({ length: 64 }, (_, i) => i % 7), 8, 8, 3, 5);
    for (const v of down) expect(v).toBeLessThan(7);
  });
});

describe('randomScaleCropFlip', () => {
  // Image value = label / 10 everywhere, so alignment can be checked pixel by pixel.
  const h = 12;
  const w = 16;
  const mask = Int32Array.from({ length: h * w }, (_, i) => Math.floor((i % w) / 4) + 4 * Math.floor(Math.floor(i / w) / 6));
  const image = { data: Float32Array.from(mask, (v) => v / 10), height: h, width: w, channels: 1 };

  it('keeps image and mask aligned through crop and flip (scale 1)', () => {
    for (let s = 0; s < 10; s++) {
      const out = randomScaleCropFlip({ image, mask }, new Rng(s), { crop: { height: 8, width: 8 }, scale: [1, 1] });
      expect(out.mask).toHaveLength(64);
      out.mask.forEach((v, q) => expect(out.image.data[q]).toBeCloseTo(v / 10, 6));
    }
  });

  it('pads with the ignore label, only produces input labels and is seeded', () => {
    const out = randomScaleCropFlip({ image, mask }, new Rng(0), { crop: { height: 20, width: 20 }, scale: [0.5, 0.9] });
    const labels = new Set(out.mask);
    expect(labels.has(255)).toBe(true);
    for (const v of labels) expect(v === 255 || (v >= 0 && v < 8)).toBe(true);
    out.mask.forEach((v, q) => {
      if (v === 255) expect(out.image.data[q]).toBe(0);
    });
    const again = randomScaleCropFlip({ image, mask }, new Rng(0), { crop: { height: 20, width: 20 }, scale: [0.5, 0.9] });
    expect(Array.from(again.mask)).toEqual(Array.from(out.mask));
    expect(Array.from(again.image.data)).toEqual(Array.from(out.image.data));
  });

  it('horizontalFlip mirrors every row and is its own inverse', () => {
    const flipped = horizontalFlip(image);
    expect(flipped.data[0]).toBe(image.data[w - 1]);
    expect(Array.from(horizontalFlip(flipped).data)).toEqual(Array.from(image.data));
  });

  it('flips both image and mask', () => {
    const out = randomScaleCropFlip({ image, mask }, new Rng(0), { crop: { height: h, width: w }, scale: [1, 1], flipProbability: 1 });
    expect(out.mask[0]).toBe(mask[w - 1]);
    expect(out.image.data[0]).toBeCloseTo(mask[w - 1]! / 10, 6);
  });
});

describe('photometric augmentations', () => {
  const img = gradient(6, 6, 3);

  it('colorJitter with zero strengths is the identity; with strengths it changes pixels within [0, 1]', () => {
    expect(Array.from(colorJitter(img, new Rng(0), {}).data)).toEqual(Array.from(img.data));
    const out = colorJitter(img, new Rng(0), { brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1 });
    expect(Array.from(out.data)).not.toEqual(Array.from(img.data));
    for (const v of out.data) expect(v >= 0 && v <= 1).toBe(true);
    expect(Array.from(colorJitter(img, new Rng(0), { brightness: 0.4, hue: 0.1 }).data)).toEqual(Array.from(colorJitter(img, new Rng(0), { brightness: 0.4, hue: 0.1 }).data));
  });

  it('randomGrayscale makes channels equal when applied', () => {
    const colour = { ...img, data: Float32Array.from(img.data, (v, i) => (i % 3 === 0 ? v : 1 - v)) };
    const g = randomGrayscale(colour, new Rng(0), 1);
    for (let p = 0; p < 36; p++) {
      expect(g.data[3 * p]).toBe(g.data[3 * p + 1]);
      expect(g.data[3 * p]).toBe(g.data[3 * p + 2]);
    }
    expect(randomGrayscale(colour, new Rng(0), 0)).toBe(colour);
  });

  it('randomResizedCrop returns the requested size and is the identity for a full square crop', () => {
    const out = randomResizedCrop(img, new Rng(1), { size: { height: 4, width: 5 } });
    expect([out.height, out.width, out.channels]).toEqual([4, 5, 3]);
    const same = randomResizedCrop(img, new Rng(1), { size: { height: 6, width: 6 }, scale: [1, 1], ratio: [1, 1] });
    expect(Array.from(same.data)).toEqual(Array.from(img.data));
  });
});
