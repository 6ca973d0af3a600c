import { readFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import jpeg from 'jpeg-js';
import pngjs from 'pngjs';
import { DatasetError } from '../errors';
import type { DecodedImage } from '../types';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Options for {@link decodeImage}. */
export interface DecodeOptions {
  /** Convert to this many channels (1 = luminance, 3 = RGB); by default keep the file's own (alpha dropped). */
  channels?: 1 | 3;
}

/** Recognised image container, from the first bytes of a file. */
export function sniffImageFormat(bytes: Uint8Array): 'png' | 'jpeg' | null {
  if (bytes.length >= 8 && PNG_SIGNATURE.every((b, i) => bytes[i] === b)) return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  return null;
}

interface PngChunkInfo {
  width: number;
  height: number;
  bitDepth: number;
  colorType: number;
  palette: Uint8Array | null;
}

/** Reads IHDR and PLTE straight from the chunk list (pngjs expands palettes to RGBA and drops the indices). */
function readPngChunks(bytes: Uint8Array, file: string): PngChunkInfo {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 8;
  let info: PngChunkInfo | null = null;
  while (at + 8 <= bytes.length) {
    const len = view.getUint32(at, false);
    const type = String.fromCharCode(bytes[at + 4]!, bytes[at + 5]!, bytes[at + 6]!, bytes[at + 7]!);
    const body = at + 8;
    if (body + len > bytes.length) throw new DatasetError(file, `unreadable image: PNG chunk ${type} runs past the end of the file`);
    if (type === 'IHDR') {
      info = { width: view.getUint32(body, false), height: view.getUint32(body + 4, false), bitDepth: bytes[body + 8]!, colorType: bytes[body + 9]!, palette: null };
    } else if (type === 'PLTE' && info) {
      info.palette = bytes.slice(body, body + len);
    } else if (type === 'IDAT' || type === 'IEND') {
      break;
    }
    at = body + len + 4;
  }
  if (!info) throw new DatasetError(file, 'unreadable image: PNG has no IHDR chunk');
  return info;
}

function decodePngRgba(bytes: Uint8Array, file: string): { rgba: ArrayLike<number>; max: number; width: number; height: number } {
  try {
    const png = pngjs.PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    const max = png.data instanceof Uint16Array ? 65535 : 255;
    return { rgba: png.data, max, width: png.width, height: png.height };
  } catch (e) {
    throw new DatasetError(file, `unreadable image: corrupt PNG (${(e as Error).message})`);
  }
}

/**
 * Decodes a PNG or JPEG (pure JS: pngjs, jpeg-js) to floats in [0, 1], HWC order.
 * @param bytes file contents
 * @param file name used in error messages
 */
export function decodeImage(bytes: Uint8Array, file = '<image>', options: DecodeOptions = {}): DecodedImage {
  const format = sniffImageFormat(bytes);
  let rgba: ArrayLike<number>;
  let max = 255;
  let width: number;
  let height: number;
  let sourceChannels: 1 | 3;
  if (format === 'png') {
    const info = readPngChunks(bytes, file);
    ({ rgba, max, width, height } = decodePngRgba(bytes, file));
    // Colour types 0 (grey) and 4 (grey + alpha) are single-channel images.
    sourceChannels = info.colorType === 0 || info.colorType === 4 ? 1 : 3;
  } else if (format === 'jpeg') {
    try {
      const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 1024 });
      rgba = img.data;
      width = img.width;
      height = img.height;
    } catch (e) {
      throw new DatasetError(file, `unreadable image: corrupt JPEG (${(e as Error).message})`);
    }
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

/** Reads and decodes an image file; see {@link decodeImage}. */
export function readImage(path: string, options: DecodeOptions = {}): DecodedImage {
  return decodeImage(readFileOrThrow(path), path, options);
}

/** A decoded label mask: H·W class indices. */
export interface DecodedMask {
  data: Int32Array;
  height: number;
  width: number;
}

/**
 * Decodes a segmentation mask PNG to class indices. Palette PNGs (PASCAL VOC `SegmentationClass/`) give the
 * palette index of each pixel; 8-bit greyscale PNGs (e.g. SegmentationClassAug) give the grey value.
 */
export function decodeMaskPng(bytes: Uint8Array, file = '<mask>'): DecodedMask {
  if (sniffImageFormat(bytes) !== 'png') throw new DatasetError(file, 'unreadable mask: not a PNG file (masks must be lossless palette or greyscale PNGs)');
  const info = readPngChunks(bytes, file);
  const { rgba, width, height } = decodePngRgba(bytes, file);
  const data = new Int32Array(width * height);
  if (info.colorType === 3) {
    if (!info.palette) throw new DatasetError(file, 'unreadable mask: palette PNG without a PLTE chunk');
    // Map each RGB colour back to its palette index; the first index wins, so unused trailing entries that
    // repeat colour 0 (common in VOC files) do not shadow real classes.
    const lookup = new Map<number, number>();
    for (let i = info.palette.length / 3 - 1; i >= 0; i--) {
      lookup.set((info.palette[3 * i]! << 16) | (info.palette[3 * i + 1]! << 8) | info.palette[3 * i + 2]!, i);
    }
    for (let p = 0; p < width * height; p++) {
      const key = (rgba[4 * p]! << 16) | (rgba[4 * p + 1]! << 8) | rgba[4 * p + 2]!;
      const idx = lookup.get(key);
      if (idx === undefined) throw new DatasetError(file, `mask pixel ${p} has a colour missing from the palette`);
      data[p] = idx;
    }
  } else if (info.colorType === 0 && info.bitDepth === 8) {
    for (let p = 0; p < width * height; p++) data[p] = rgba[4 * p]!;
  } else {
    throw new DatasetError(file, `mask must be a palette (colour type 3) or 8-bit greyscale PNG, got colour type ${info.colorType} at ${info.bitDepth} bits`);
  }
  return { data, height, width };
}

/** Reads and decodes a mask PNG; see {@link decodeMaskPng}. */
export function readMaskPng(path: string): DecodedMask {
  return decodeMaskPng(readFileOrThrow(path), path);
}

/** Reads a file, turning I/O errors into a {@link DatasetError} naming it. */
export function readFileOrThrow(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new DatasetError(path, `cannot read file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
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

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
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
