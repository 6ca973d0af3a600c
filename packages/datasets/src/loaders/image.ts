import { decode as decodePng, encode as encodePngBytes, type DecodedPng } from 'fast-png';
import jpeg from 'jpeg-js';
import { DatasetError } from '../errors';
import { LimitExceededError, resolveLimits, type LoaderLimits } from '../limits';
import type { DecodedImage } from '../types';
import { inspectJpeg } from './jpeg-structure';
import { checkDecodedSize, inspectPng, PNG_SIGNATURE, type PngInfo } from './png-structure';
import { readFileOrThrow } from './read-file';

/** Options for {@link decodeImage}. */
export interface DecodeOptions {
  /** Convert to this many channels (1 = luminance, 3 = RGB); by default keep the file's own (alpha dropped). */
  channels?: 1 | 3;
  /** Limits on the file ({@link LoaderLimits}: `maxImageBytes`, `maxImagePixels`). */
  limits?: LoaderLimits;
}

/** Options for {@link decodeMaskPng}. */
export interface DecodeMaskOptions {
  /** Limits on the file ({@link LoaderLimits}: `maxImageBytes`, `maxImagePixels`). */
  limits?: LoaderLimits;
}

/** Recognised image container, from the first bytes of a file. */
export function sniffImageFormat(bytes: Uint8Array): 'png' | 'jpeg' | null {
  if (bytes.length >= 8 && PNG_SIGNATURE.every((b, i) => bytes[i] === b)) return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  return null;
}

function checkImageBytes(bytes: Uint8Array, file: string, maxImageBytes: number): void {
  if (bytes.length > maxImageBytes) throw new LimitExceededError(file, 'maxImageBytes', maxImageBytes, bytes.length, `an image file of ${bytes.length.toLocaleString('en-US')} bytes`);
}

/**
 * RGBA of a PNG decoded by fast-png, which keeps the file's own layout (1–4 channels, palette indices, 1–16 bits,
 * sub-byte samples packed per row): grey is repeated into R, G and B, palette indices are looked up, samples below 8
 * bits are scaled to 0–255 (as libpng does), 16-bit samples stay 16-bit (`max` 65535), alpha is kept.
 */
function pngToRgba(png: DecodedPng): { rgba: Uint8Array | Uint16Array; max: number } {
  const { width, height, depth, channels, data, palette } = png;
  const n = width * height;
  const rgba = depth === 16 ? new Uint16Array(4 * n) : new Uint8Array(4 * n);
  const opaque = depth === 16 ? 65535 : 255;
  // Samples of row y: packed for depths below 8 (each row starts on a byte), one element per sample otherwise.
  const rowSamples = width * channels;
  const rowBytes = Math.ceil((rowSamples * depth) / 8);
  const sample = (y: number, i: number): number => {
    if (depth >= 8) return data[y * rowSamples + i]!;
    const bit = i * depth;
    return (data[y * rowBytes + (bit >> 3)]! >> (8 - depth - (bit & 7))) & ((1 << depth) - 1);
  };
  const scale = depth < 8 && !palette ? 255 / ((1 << depth) - 1) : 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = y * width + x;
      const o = 4 * p;
      if (palette) {
        const entry = palette[sample(y, x)];
        if (!entry) throw new Error(`pixel ${p} indexes palette entry ${sample(y, x)} of ${palette.length}`);
        rgba[o] = entry[0]!;
        rgba[o + 1] = entry[1]!;
        rgba[o + 2] = entry[2]!;
        rgba[o + 3] = entry[3] ?? 255;
      } else if (channels <= 2) {
        const g = Math.round(sample(y, x * channels) * scale);
        rgba[o] = rgba[o + 1] = rgba[o + 2] = g;
        rgba[o + 3] = channels === 2 ? sample(y, x * channels + 1) : opaque;
      } else {
        for (let c = 0; c < 3; c++) rgba[o + c] = sample(y, x * channels + c);
        rgba[o + 3] = channels === 4 ? sample(y, x * channels + 3) : opaque;
      }
    }
  }
  return { rgba, max: opaque };
}

// The structure (and the size the header declares) is checked by inspectPng before this runs; the decoder's
// output is checked against that header after.
function decodePngRgba(bytes: Uint8Array, file: string, info: PngInfo, what: string): { rgba: ArrayLike<number>; max: number; width: number; height: number } {
  let png: DecodedPng;
  let rgba: Uint8Array | Uint16Array;
  let max: number;
  try {
    png = decodePng(bytes);
    ({ rgba, max } = pngToRgba(png));
  } catch (e) {
    throw new DatasetError(file, `unreadable ${what}: corrupt PNG (${(e as Error).message})`);
  }
  checkDecodedSize(file, what, info, { width: png.width, height: png.height, values: rgba.length }, 4);
  return { rgba, max, width: png.width, height: png.height };
}

/**
 * Decodes a PNG or JPEG (pure JS: fast-png, jpeg-js) to floats in [0, 1], HWC order. The file is checked
 * before decoding (see {@link LoaderLimits}): at most `maxImageBytes` long, at most `maxImagePixels`
 * declared, every PNG chunk inside the file with its CRC, PNG image data decompressing to exactly the size
 * its header implies, a JPEG not cut short before its EOI marker; the decoder's output is then checked
 * against the header. Any defect is a {@link DatasetError} naming the file.
 * @param bytes file contents
 * @param file name used in error messages
 */
export function decodeImage(bytes: Uint8Array, file = '<image>', options: DecodeOptions = {}): DecodedImage {
  const limits = resolveLimits(options.limits);
  checkImageBytes(bytes, file, limits.maxImageBytes);
  const format = sniffImageFormat(bytes);
  let rgba: ArrayLike<number>;
  let max = 255;
  let width: number;
  let height: number;
  let sourceChannels: 1 | 3;
  if (format === 'png') {
    const info = inspectPng(bytes, file, limits.maxImagePixels);
    ({ rgba, max, width, height } = decodePngRgba(bytes, file, info, 'image'));
    // Colour types 0 (grey) and 4 (grey + alpha) are single-channel images.
    sourceChannels = info.colorType === 0 || info.colorType === 4 ? 1 : 3;
  } else if (format === 'jpeg') {
    const info = inspectJpeg(bytes, file, limits.maxImagePixels);
    let img: { width: number; height: number; data: Uint8Array };
    try {
      img = jpeg.decode(bytes, {
        useTArray: true,
        formatAsRGBA: true,
        maxResolutionInMP: limits.maxImagePixels / 1e6,
        // jpeg-js's own allocation cap: RGBA output plus component planes, with room to spare.
        maxMemoryUsageInMB: Math.max(1024, Math.ceil((limits.maxImagePixels * 16) / 2 ** 20)),
      });
    } catch (e) {
      throw new DatasetError(file, `unreadable image: corrupt JPEG (${(e as Error).message})`);
    }
    checkDecodedSize(file, 'image', info, { width: img.width, height: img.height, values: img.data.length }, 4);
    rgba = img.data;
    width = img.width;
    height = img.height;
    sourceChannels = 3;
  } else {
    throw new DatasetError(file, 'unreadable image: not a PNG or JPEG (unknown signature)');
  }
  const channels = options.channels ?? sourceChannels;
  const data = new Float32Array(height * width * channels);
  for (let p = 0; p < height * width; p++) {
    const r = rgba[4 * p]! / max;
    const g = rgba[4 * p + 1]! / max;
    const b = rgba[4 * p + 2]! / max;
    if (channels === 1) data[p] = sourceChannels === 1 ? r : 0.299 * r + 0.587 * g + 0.114 * b;
    else {
      data[3 * p] = r;
      data[3 * p + 1] = g;
      data[3 * p + 2] = b;
    }
  }
  return { data, height, width, channels };
}

/** Reads and decodes an image file (at most `options.limits.maxImageBytes`); see {@link decodeImage}. */
export function readImage(path: string, options: DecodeOptions = {}): DecodedImage {
  return decodeImage(readFileOrThrow(path, resolveLimits(options.limits).maxImageBytes, 'maxImageBytes'), path, options);
}

/** A decoded label mask: H·W class indices. */
export interface DecodedMask {
  data: Int32Array;
  height: number;
  width: number;
}

/**
 * Decodes a segmentation mask PNG to class indices. Palette PNGs (PASCAL VOC `SegmentationClass/`) give the
 * palette index of each pixel; 8-bit greyscale PNGs (e.g. SegmentationClassAug) give the grey value. The
 * file is checked as in {@link decodeImage} before decoding (a truncated mask is an error, never background).
 */
export function decodeMaskPng(bytes: Uint8Array, file = '<mask>', options: DecodeMaskOptions = {}): DecodedMask {
  const limits = resolveLimits(options.limits);
  checkImageBytes(bytes, file, limits.maxImageBytes);
  if (sniffImageFormat(bytes) !== 'png') throw new DatasetError(file, 'unreadable mask: not a PNG file (masks must be lossless palette or greyscale PNGs)');
  const info = inspectPng(bytes, file, limits.maxImagePixels, 'mask');
  if (!(info.colorType === 3 || (info.colorType === 0 && info.bitDepth === 8))) {
    throw new DatasetError(file, `mask must be a palette (colour type 3) or 8-bit greyscale PNG, got colour type ${info.colorType} at ${info.bitDepth} bits`);
  }
  const { rgba, width, height } = decodePngRgba(bytes, file, info, 'mask');
  const data = new Int32Array(width * height);
  if (info.colorType === 3) {
    const palette = info.palette!;
    // Map each RGB colour back to its palette index; the first index wins, so unused trailing entries that
    // repeat colour 0 (common in VOC files) do not shadow real classes.
    const lookup = new Map<number, number>();
    for (let i = palette.length / 3 - 1; i >= 0; i--) {
      lookup.set((palette[3 * i]! << 16) | (palette[3 * i + 1]! << 8) | palette[3 * i + 2]!, i);
    }
    for (let p = 0; p < width * height; p++) {
      const key = (rgba[4 * p]! << 16) | (rgba[4 * p + 1]! << 8) | rgba[4 * p + 2]!;
      const idx = lookup.get(key);
      if (idx === undefined) throw new DatasetError(file, `mask pixel ${p} has a colour missing from the palette`);
      data[p] = idx;
    }
  } else {
    for (let p = 0; p < width * height; p++) data[p] = rgba[4 * p]!;
  }
  return { data, height, width };
}

/** Reads and decodes a mask PNG (at most `options.limits.maxImageBytes`); see {@link decodeMaskPng}. */
export function readMaskPng(path: string, options: DecodeMaskOptions = {}): DecodedMask {
  return decodeMaskPng(readFileOrThrow(path, resolveLimits(options.limits).maxImageBytes, 'maxImageBytes'), path, options);
}

/** Encodes an HWC float image in [0, 1] (1 or 3 channels) as an 8-bit greyscale or RGB PNG. */
export function encodePng(image: DecodedImage): Buffer {
  const { data, height, width, channels } = image;
  if (channels !== 1 && channels !== 3) throw new Error(`encodePng: channels must be 1 or 3, got ${channels}`);
  if (data.length !== height * width * channels) throw new Error(`encodePng: ${data.length} values for ${height}×${width}×${channels}`);
  const bytes = Uint8Array.from(data, (v) => Math.round(Math.min(1, Math.max(0, v)) * 255));
  return asBuffer(encodePngBytes({ width, height, data: bytes, channels, depth: 8 }));
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The PASCAL VOC colour map (bit-interleaved), 256 RGB entries; index 255 is the cream "ignore" colour. */
export function vocPalette(): Uint8Array {
  const pal = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) {
    let r = 0;
    let g = 0;
    let b = 0;
    let c = i;
    for (let j = 0; j < 8; j++) {
      r |= ((c >> 0) & 1) << (7 - j);
      g |= ((c >> 1) & 1) << (7 - j);
      b |= ((c >> 2) & 1) << (7 - j);
      c >>= 3;
    }
    pal[3 * i] = r;
    pal[3 * i + 1] = g;
    pal[3 * i + 2] = b;
  }
  return pal;
}

/**
 * Encodes a class-index mask as an 8-bit palette PNG, the PASCAL VOC `SegmentationClass/` format. Values must be in
 * [0, 255] and inside the palette; the default palette is {@link vocPalette}.
 */
export function encodePalettePng(mask: ArrayLike<number>, height: number, width: number, palette: Uint8Array = vocPalette()): Buffer {
  if (mask.length !== height * width) throw new Error(`encodePalettePng: ${mask.length} values for ${height}×${width}`);
  if (palette.length % 3 !== 0 || palette.length > 768 || palette.length === 0) throw new Error('encodePalettePng: palette must hold 1–256 RGB triples');
  const indices = new Uint8Array(height * width);
  for (let i = 0; i < indices.length; i++) {
    const v = mask[i]!;
    if (!Number.isInteger(v) || v < 0 || v > 255 || v * 3 >= palette.length) throw new Error(`encodePalettePng: value ${v} at (${Math.floor(i / width)}, ${i % width}) is outside the palette`);
    indices[i] = v;
  }
  const colours = Array.from({ length: palette.length / 3 }, (_, k) => [palette[3 * k]!, palette[3 * k + 1]!, palette[3 * k + 2]!]);
  return asBuffer(encodePngBytes({ width, height, data: indices, channels: 1, depth: 8, palette: colours }));
}

/** Encodes an HWC float image in [0, 1] as a baseline JPEG (quality 0–100). */
export function encodeJpeg(image: DecodedImage, quality = 90): Buffer {
  const { data, height, width, channels } = image;
  const rgba = Buffer.alloc(height * width * 4);
  for (let p = 0; p < height * width; p++) {
    for (let c = 0; c < 3; c++) rgba[4 * p + c] = Math.round(Math.min(1, Math.max(0, data[channels === 1 ? p : channels * p + c]!)) * 255);
    rgba[4 * p + 3] = 255;
  }
  return jpeg.encode({ data: rgba, width, height }, quality).data;
}
