import { deflateSync } from 'node:zlib';
import jpeg from 'jpeg-js';
import pngjs from 'pngjs';
import { DatasetError } from '../errors';
import { LimitExceededError, resolveLimits, type LoaderLimits } from '../limits';
import type { DecodedImage } from '../types';
import { crc32 } from './crc32';
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

// The structure (and the size the header declares) is checked by inspectPng before this runs; the decoder's
// output is checked against that header after.
function decodePngRgba(bytes: Uint8Array, file: string, info: PngInfo, what: string): { rgba: ArrayLike<number>; max: number; width: number; height: number } {
  let png: pngjs.PNGWithMetadata;
  try {
    png = pngjs.PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (e) {
    throw new DatasetError(file, `unreadable ${what}: corrupt PNG (${(e as Error).message})`);
  }
  checkDecodedSize(file, what, info, { width: png.width, height: png.height, values: png.data.length }, 4);
  const max = png.data instanceof Uint16Array ? 65535 : 255;
  return { rgba: png.data, max, width: png.width, height: png.height };
}

/**
 * Decodes a PNG or JPEG (pure JS: pngjs, jpeg-js) to floats in [0, 1], HWC order. The file is checked
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
  const png = new pngjs.PNG({ width, height, colorType: channels === 1 ? 0 : 2, inputColorType: 6, inputHasAlpha: true });
  for (let p = 0; p < height * width; p++) {
    for (let c = 0; c < 3; c++) {
      const v = data[channels === 1 ? p : 3 * p + c]!;
      png.data[4 * p + c] = Math.round(Math.min(1, Math.max(0, v)) * 255);
    }
    png.data[4 * p + 3] = 255;
  }
  return pngjs.PNG.sync.write(png, { colorType: channels === 1 ? 0 : 2, inputColorType: 6, inputHasAlpha: true });
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

function chunk(type: string, body: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + body.length);
  out.writeUInt32BE(body.length, 0);
  out.write(type, 4, 'latin1');
  out.set(body, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + body.length)), 8 + body.length);
  return out;
}

/**
 * Encodes a class-index mask as an 8-bit palette PNG, the PASCAL VOC `SegmentationClass/` format (pngjs cannot
 * write palette PNGs). Values must be in [0, 255]; the default palette is {@link vocPalette}.
 */
export function encodePalettePng(mask: ArrayLike<number>, height: number, width: number, palette: Uint8Array = vocPalette()): Buffer {
  if (mask.length !== height * width) throw new Error(`encodePalettePng: ${mask.length} values for ${height}×${width}`);
  if (palette.length % 3 !== 0 || palette.length > 768 || palette.length === 0) throw new Error('encodePalettePng: palette must hold 1–256 RGB triples');
  const raw = new Uint8Array(height * (width + 1));
  for (let y = 0; y < height; y++) {
    raw[y * (width + 1)] = 0; // filter type "none"
    for (let x = 0; x < width; x++) {
      const v = mask[y * width + x]!;
      if (v < 0 || v > 255 || v * 3 >= palette.length) throw new Error(`encodePalettePng: value ${v} at (${y}, ${x}) is outside the palette`);
      raw[y * (width + 1) + 1 + x] = v;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 3; // colour type: palette
  return Buffer.concat([Buffer.from(PNG_SIGNATURE), chunk('IHDR', ihdr), chunk('PLTE', palette), chunk('IDAT', deflateSync(raw)), chunk('IEND', new Uint8Array(0))]);
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
