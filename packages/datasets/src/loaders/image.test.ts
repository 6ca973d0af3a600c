import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import pngjs from 'pngjs';
import { decodeImage, decodeMaskPng, encodeJpeg, encodePalettePng, encodePng, readImage, vocPalette } from './image';

function ramp(h: number, w: number, c: number): Float32Array {
  return Float32Array.from({ length: h * w * c }, (_, i) => Math.round(((i * 37) % 256)) / 255);
}

describe('PNG and JPEG decoding', () => {
  it('round-trips greyscale and RGB PNGs exactly (8-bit values)', () => {
    for (const channels of [1, 3] as const) {
      const img = { data: ramp(5, 7, channels), height: 5, width: 7, channels };
      const back = decodeImage(encodePng(img), 'x.png');
      expect([back.height, back.width, back.channels]).toEqual([5, 7, channels]);
      expect(Array.from(back.data)).toEqual(Array.from(img.data));
    }
  });

  it('converts channels on request (luminance, replication)', () => {
    const rgb = { data: Float32Array.from([1, 0, 0, 0, 1, 0]), height: 1, width: 2, channels: 3 };
    const grey = decodeImage(encodePng(rgb), 'x.png', { channels: 1 });
    expect(grey.data[0]).toBeCloseTo(0.299, 2);
    expect(grey.data[1]).toBeCloseTo(0.587, 2);
    const g = { data: Float32Array.from([0.2, 0.8]), height: 1, width: 2, channels: 1 };
    expect(Array.from(decodeImage(encodePng(g), 'g.png', { channels: 3 }).data).map((v) => Math.round(v * 255))).toEqual([51, 51, 51, 204, 204, 204]);
  });

  it('decodes a JPEG to 3 channels close to the original', () => {
    const data = new Float32Array(16 * 16 * 3);
    for (let p = 0; p < 256; p++) data.set([0.8, 0.4, 0.1], 3 * p);
    const back = decodeImage(encodeJpeg({ data, height: 16, width: 16, channels: 3 }, 95), 'x.jpg');
    expect([back.height, back.width, back.channels]).toEqual([16, 16, 3]);
    for (let i = 0; i < back.data.length; i++) expect(Math.abs(back.data[i]! - data[i]!)).toBeLessThan(0.03);
  });

  it('fails on unreadable images naming the file', () => {
    const png = encodePng({ data: ramp(8, 8, 3), height: 8, width: 8, channels: 3 });
    expect(() => decodeImage(png.subarray(0, png.length - 30), 'cut.png')).toThrow(/cut\.png: unreadable image/);
    const jpg = encodeJpeg({ data: ramp(8, 8, 3), height: 8, width: 8, channels: 3 });
    expect(() => decodeImage(jpg.subarray(0, 40), 'cut.jpg')).toThrow(/cut\.jpg: unreadable image: corrupt JPEG/);
    expect(() => decodeImage(Buffer.from('GIF89a....'), 'a.gif')).toThrow(/a\.gif: unreadable image: not a PNG or JPEG/);
    const dir = mkdtempSync(join(tmpdir(), 'lel-img-'));
    expect(() => readImage(join(dir, 'missing.png'))).toThrow(/missing\.png: cannot read file \(ENOENT\)/);
  });
});

describe('mask PNGs', () => {
  it('round-trips a VOC palette mask including 255 = ignore', () => {
    const mask = [0, 1, 2, 255, 20, 15, 0, 255];
    const bytes = encodePalettePng(mask, 2, 4);
    const back = decodeMaskPng(bytes, 'm.png');
    expect([back.height, back.width]).toEqual([2, 4]);
    expect(Array.from(back.data)).toEqual(mask);
    // The colours really are VOC's: index 1 is (128, 0, 0) and 255 the cream (224, 224, 192).
    const rgba = pngjs.PNG.sync.read(bytes).data;
    expect(Array.from(rgba.subarray(4, 7))).toEqual([128, 0, 0]);
    expect(Array.from(rgba.subarray(12, 15))).toEqual([224, 224, 192]);
    expect(Array.from(vocPalette().subarray(3 * 255))).toEqual([224, 224, 192]);
  });

  it('reads 8-bit greyscale masks as values and rejects RGB masks and JPEGs', () => {
    const grey = new pngjs.PNG({ width: 3, height: 1, colorType: 0, inputColorType: 0, inputHasAlpha: false });
    grey.data = Buffer.from([0, 7, 255]);
    const g = pngjs.PNG.sync.write(grey, { colorType: 0, inputColorType: 0, inputHasAlpha: false });
    expect(Array.from(decodeMaskPng(g, 'g.png').data)).toEqual([0, 7, 255]);
    const rgb = encodePng({ data: new Float32Array(3 * 4), height: 2, width: 2, channels: 3 });
    expect(() => decodeMaskPng(rgb, 'rgb.png')).toThrow(/rgb\.png: mask must be a palette \(colour type 3\) or 8-bit greyscale PNG, got colour type 2/);
    const jpg = encodeJpeg({ data: new Float32Array(3 * 64), height: 8, width: 8, channels: 3 });
    expect(() => decodeMaskPng(jpg, 'm.jpg')).toThrow(/m\.jpg: unreadable mask: not a PNG/);
  });
});
