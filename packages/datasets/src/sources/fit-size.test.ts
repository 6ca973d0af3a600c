import { describe, expect, it } from 'vitest';
import { fitToSize, resizeImage } from './fit-size';

const ramp = (h: number, w: number) => ({ data: Float32Array.from({ length: h * w }, (_, p) => (p % w) / w), height: h, width: w, channels: 1 });

describe('fitToSize', () => {
  it('stretch: resizes image and mask to exactly the input size, masks by nearest neighbour', () => {
    const mask = Int32Array.from({ length: 4 * 8 }, (_, p) => (p % 8 < 4 ? 1 : 255));
    const out = fitToSize({ image: ramp(4, 8), mask }, { height: 2, width: 2 }, 'stretch', 'f');
    expect([out.image.height, out.image.width]).toEqual([2, 2]);
    expect(Array.from(out.mask!)).toEqual([1, 255, 1, 255]);
  });

  it('crop: keeps the aspect ratio, covers the input, centres by default and places by fraction', () => {
    const mask = Int32Array.from({ length: 4 * 8 }, (_, p) => p % 8);
    const centred = fitToSize({ image: ramp(4, 8), mask }, { height: 4, width: 4 }, 'crop', 'f');
    expect(Array.from(centred.mask!.subarray(0, 4))).toEqual([2, 3, 4, 5]);
    const left = fitToSize({ image: ramp(4, 8), mask }, { height: 4, width: 4 }, 'crop', 'f', { top: 0, left: 0 });
    expect(Array.from(left.mask!.subarray(0, 4))).toEqual([0, 1, 2, 3]);
    const right = fitToSize({ image: ramp(4, 8), mask }, { height: 4, width: 4 }, 'crop', 'f', { top: 0.3, left: 0.999 });
    expect(Array.from(right.mask!.subarray(0, 4))).toEqual([4, 5, 6, 7]);
    expect(right.image.data[0]).toBeCloseTo(4 / 8, 6);
    // Upscaling: a 2×4 image covers 4×4 at scale 2 (4×8), then crops.
    expect(fitToSize({ image: ramp(2, 4) }, { height: 4, width: 4 }, 'crop', 'f').image.width).toBe(4);
  });

  it('none: passes matching images through and names a mismatching file', () => {
    const img = ramp(3, 3);
    expect(fitToSize({ image: img }, { height: 3, width: 3 }, 'none', 'f').image).toBe(img);
    expect(() => fitToSize({ image: img }, { height: 4, width: 3 }, 'none', 'dir/x.png')).toThrow(/dir\/x\.png: image is 3×3 but the model input is 4×3/);
  });
});

describe('resizeImage', () => {
  it('box-averages before shrinking, so a one-pixel grating becomes its mean instead of aliasing', () => {
    const grating = { data: Float32Array.from({ length: 64 }, (_, p) => (p % 2 === 0 ? 1 : 0)), height: 8, width: 8, channels: 1 };
    const out = resizeImage(grating, 2, 2);
    for (const v of out.data) expect(v).toBeCloseTo(0.5, 6);
  });
});
