import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encode as fastPngEncode } from 'fast-png';
import pngjs from 'pngjs';
import { greyScanlines, jpegDeclaring, pngChunk, pngFrom, pngHeaderOver } from '../fixtures/hostile';
import { LimitExceededError } from '../limits';
import { decodeImage, decodeMaskPng, encodeJpeg, encodePalettePng, encodePng, readImage, readMaskPng, vocPalette } from './image';

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

  it('decodes every PNG layout as an independent decoder (pngjs) does: 16-bit RGB, grey + alpha, 1/2/4-bit grey, a 4-bit palette mask', () => {
    // 16-bit RGB and 8-bit grey + alpha / RGBA, written by pngjs: values / 65535 (or / 255), alpha dropped.
    const w = 3;
    const h = 2;
    const rgb16 = new pngjs.PNG({ width: w, height: h, bitDepth: 16, colorType: 2, inputColorType: 2, inputHasAlpha: false });
    const values16 = Array.from({ length: w * h * 3 }, (_, i) => (i * 9973) % 65536);
    const bytes16 = Buffer.alloc(w * h * 3 * 2);
    values16.forEach((v, i) => bytes16.writeUInt16LE(v, 2 * i)); // pngjs takes 16-bit input in host (little-endian) order
    rgb16.data = bytes16;
    const png16 = pngjs.PNG.sync.write(rgb16, { bitDepth: 16, colorType: 2, inputColorType: 2, inputHasAlpha: false });
    expect(Array.from(decodeImage(png16, 'rgb16.png').data)).toEqual(values16.map((v) => Math.fround(v / 65535)));
    const ga = new pngjs.PNG({ width: w, height: h, colorType: 4, inputColorType: 4, inputHasAlpha: true });
    ga.data = Buffer.from([10, 1, 20, 2, 30, 3, 40, 4, 50, 5, 60, 6]);
    const gaPng = pngjs.PNG.sync.write(ga, { colorType: 4, inputColorType: 4, inputHasAlpha: true });
    const gaBack = decodeImage(gaPng, 'ga.png');
    expect(gaBack.channels).toBe(1);
    expect(Array.from(gaBack.data).map((v) => Math.round(v * 255))).toEqual([10, 20, 30, 40, 50, 60]);
    // Sub-byte grey (packed rows, each starting on a byte): scaled to 0–255 as libpng and pngjs do.
    for (const depth of [1, 2, 4] as const) {
      const levels = (1 << depth) - 1;
      const samples = Array.from({ length: 5 * 3 }, (_, i) => (i * 7) % (levels + 1));
      const rowBytes = Math.ceil((5 * depth) / 8);
      const packed = new Uint8Array(rowBytes * 3);
      samples.forEach((v, i) => {
        const y = Math.floor(i / 5);
        const bit = (i % 5) * depth;
        packed[y * rowBytes + (bit >> 3)]! |= v << (8 - depth - (bit & 7));
      });
      const file = fastPngEncode({ width: 5, height: 3, data: packed, channels: 1, depth });
      const ours = Array.from(decodeImage(file, `grey${depth}.png`).data).map((v) => Math.round(v * 255));
      expect(ours).toEqual(samples.map((v) => Math.round((v * 255) / levels)));
      expect(ours).toEqual(Array.from(pngjs.PNG.sync.read(Buffer.from(file)).data.filter((_, i) => i % 4 === 0)));
    }
    // A 4-bit palette mask: indices back.
    const idx = [0, 1, 2, 3, 15, 14, 2, 0];
    const packed4 = new Uint8Array(2 * 2); // 2 rows of 4 samples × 4 bits
    idx.forEach((v, i) => (packed4[i >> 1]! |= i % 2 === 0 ? v << 4 : v));
    const pal = Array.from({ length: 16 }, (_, k) => [k * 16, 255 - k * 16, (k * 37) % 256]);
    const mask4 = fastPngEncode({ width: 4, height: 2, data: packed4, channels: 1, depth: 4, palette: pal });
    expect(Array.from(decodeMaskPng(mask4, 'mask4.png').data)).toEqual(idx);
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
    expect(() => decodeImage(jpg.subarray(0, 40), 'cut.jpg')).toThrow(/cut\.jpg: unreadable image: (corrupt|truncated) JPEG/);
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

describe('hostile images: refused before or instead of being misread', () => {
  const scan = greyScanlines(8, 8, (x, y) => 10 + x + 8 * y); // 72 bytes of filtered scanlines

  it('a PNG holding 45 of its 72 image-data bytes is an error, not an image with zero rows', () => {
    const whole = decodeImage(pngFrom({ width: 8, height: 8 }, scan), 'ok.png');
    expect(Math.round(whole.data[63]! * 255)).toBe(73);
    const short = pngFrom({ width: 8, height: 8 }, scan.subarray(0, 45));
    expect(() => decodeImage(short, 'short.png')).toThrow(/short\.png: unreadable image: truncated PNG: the image data decompresses to 45 bytes but its 8×8 header implies 72/);
  });

  it('a mask holding 1 of its 72 image-data bytes is an error, not all background', () => {
    const mask = pngFrom({ width: 8, height: 8, colorType: 3, palette: vocPalette() }, scan.subarray(0, 1));
    expect(() => decodeMaskPng(mask, 'm.png')).toThrow(/m\.png: unreadable mask: truncated PNG: the image data decompresses to 1 bytes/);
  });

  it('a truncated mask file names the defect, not the decoder\'s stream message', () => {
    const png = encodePalettePng(new Array(64).fill(3), 8, 8);
    for (const cut of [40, png.length - 12, png.length - 5]) {
      let message = '';
      try {
        decodeMaskPng(png.subarray(0, cut), 'cut.png');
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message).toMatch(/^cut\.png: unreadable mask: truncated PNG/);
      expect(message).not.toMatch(/waitng|stream/);
    }
  });

  it('extra image data, a bad CRC, a missing palette and a broken zlib stream are refused', () => {
    expect(() => decodeImage(pngFrom({ width: 8, height: 7 }, scan), 'long.png')).toThrow(/long\.png: unreadable image: corrupt PNG: the image data decompresses to more than the 63 bytes/);
    const png = Buffer.from(pngFrom({ width: 8, height: 8 }, scan));
    png[45]! ^= 0x01; // inside IDAT's data
    expect(() => decodeImage(png, 'crc.png')).toThrow(/crc\.png: unreadable image: corrupt PNG: chunk IDAT at byte 33 fails its CRC check/);
    expect(() => decodeImage(pngFrom({ width: 8, height: 8, colorType: 3 }, scan), 'pal.png')).toThrow(/pal\.png: unreadable image: corrupt PNG: palette image \(colour type 3\) without a PLTE chunk/);
    const idat = Buffer.from(pngFrom({ width: 8, height: 8 }, scan));
    const bad = Buffer.concat([idat.subarray(0, 33), pngChunk('IDAT', new Uint8Array([0x78, 0x9c, 0xff, 0xff, 0xff])), idat.subarray(idat.length - 12)]);
    expect(() => decodeImage(bad, 'z.png')).toThrow(/z\.png: unreadable image: corrupt PNG: image data does not decompress/);
  });

  it('a 20000×20000 header over 100 bytes of data is over maxImagePixels; with the limit raised it is still refused, as truncated', () => {
    const bomb = pngHeaderOver(20_000, 20_000);
    let e: unknown;
    try {
      decodeImage(bomb, 'bomb.png');
    } catch (err) {
      e = err;
    }
    expect(e).toBeInstanceOf(LimitExceededError);
    expect((e as LimitExceededError).limit).toBe('maxImagePixels');
    expect((e as Error).message).toMatch(/^bomb\.png: a PNG of 20000×20000 = 400,000,000 pixels exceeds the limit maxImagePixels = 89,478,485 \(options\.limits\.maxImagePixels raises it\)/);
    expect(() => decodeImage(bomb, 'bomb.png', { limits: { maxImagePixels: 1e9 } })).toThrow(/bomb\.png: unreadable image: truncated PNG: the image data decompresses to 100 bytes but its 20000×20000 header implies 400020000/);
  });

  it('a 100000×100000 PNG is a LimitExceededError naming the file (not Node\'s "size out of range")', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lel-img-'));
    const path = join(dir, 'huge.png');
    writeFileSync(path, pngHeaderOver(100_000, 100_000));
    expect(() => readImage(path)).toThrow(new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: a PNG of 100000×100000 = 10,000,000,000 pixels exceeds the limit maxImagePixels`));
    expect(() => readMaskPng(path)).toThrow(LimitExceededError);
  });

  it('a JPEG declaring 60000×60000 pixels is over maxImagePixels before decoding; a cut JPEG is truncated', () => {
    const jpg = encodeJpeg({ data: ramp(16, 16, 3), height: 16, width: 16, channels: 3 });
    expect(() => decodeImage(jpegDeclaring(jpg, 60_000, 60_000), 'big.jpg')).toThrow(/big\.jpg: a JPEG of 60000×60000 = 3,600,000,000 pixels exceeds the limit maxImagePixels/);
    expect(() => decodeImage(jpg.subarray(0, jpg.length - 2), 'cut.jpg')).toThrow(/cut\.jpg: unreadable image: truncated JPEG: no EOI marker/);
  });

  it('maxImageBytes bounds the file read', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lel-img-'));
    const path = join(dir, 'a.png');
    const png = pngFrom({ width: 8, height: 8 }, scan);
    writeFileSync(path, png);
    expect(() => readImage(path, { limits: { maxImageBytes: png.length - 1 } })).toThrow(/a\.png: file size \d+ bytes exceeds the limit maxImageBytes/);
    expect(readImage(path, { limits: { maxImageBytes: png.length } }).width).toBe(8);
    expect(() => readImage(dir)).toThrow(/is a directory, not a file/);
  });
});
