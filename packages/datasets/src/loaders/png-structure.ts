// Decoder-independent validation of a PNG before it is decoded: every chunk inside the file with a correct
// CRC, a valid IHDR within the pixel limit, a palette where one is needed, an IEND (no truncation), and
// image data that inflates (zlib checksum included) to exactly the bytes the header implies. A decoder that
// silently zero-fills short data or allocates from the header alone then never sees such a file.
import { inflateSync } from 'node:zlib';
import { DatasetError } from '../errors';
import { LimitExceededError } from '../limits';
import CRC32 from 'crc-32';

/** The PNG file signature. */
export const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] as const;

/** What {@link inspectPng} read from a valid PNG. */
export interface PngInfo {
  width: number;
  height: number;
  bitDepth: number;
  /** 0 grey, 2 RGB, 3 palette, 4 grey + alpha, 6 RGBA. */
  colorType: number;
  interlaced: boolean;
  /** PLTE entries (RGB triples), when present. */
  palette: Uint8Array | null;
}

// Allowed bit depths and samples per pixel of each colour type (PNG spec, table 11.1).
const COLOR_TYPES: Record<number, { depths: number[]; samples: number }> = {
  0: { depths: [1, 2, 4, 8, 16], samples: 1 },
  2: { depths: [8, 16], samples: 3 },
  3: { depths: [1, 2, 4, 8], samples: 1 },
  4: { depths: [8, 16], samples: 2 },
  6: { depths: [8, 16], samples: 4 },
};
// Adam7 passes: x0, y0, dx, dy.
const ADAM7 = [
  [0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2],
] as const;

/** Bytes of filtered scanlines (a filter byte per row) that a PNG of this header decompresses to. */
export function pngDataSize(width: number, height: number, bitDepth: number, colorType: number, interlaced: boolean): number {
  const bits = COLOR_TYPES[colorType]!.samples * bitDepth;
  const rows = (w: number, h: number) => (w > 0 && h > 0 ? h * (Math.ceil((w * bits) / 8) + 1) : 0);
  if (!interlaced) return rows(width, height);
  return ADAM7.reduce((n, [x0, y0, dx, dy]) => n + rows(Math.ceil((width - x0) / dx), Math.ceil((height - y0) / dy)), 0);
}

/**
 * Validate the structure of a PNG and return its header; `what` ("image" / "mask") words the errors.
 * @throws LimitExceededError when width × height exceeds `maxImagePixels` (checked as soon as IHDR is read)
 * @throws DatasetError naming the file and the defect for anything else
 */
export function inspectPng(bytes: Uint8Array, file: string, maxImagePixels: number, what = 'image'): PngInfo {
  const bad = (defect: string): DatasetError => new DatasetError(file, `unreadable ${what}: ${defect}`);
  if (bytes.length < 8 || !PNG_SIGNATURE.every((b, i) => bytes[i] === b)) throw bad('not a PNG (bad signature)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let info: PngInfo | null = null;
  const idat: Uint8Array[] = [];
  let idatBytes = 0;
  let ended = false;
  let at = 8;
  while (at < bytes.length) {
    if (at + 12 > bytes.length) throw bad(`truncated PNG: ${bytes.length - at} stray bytes where a chunk should start at byte ${at}`);
    const len = view.getUint32(at, false);
    const type = String.fromCharCode(bytes[at + 4]!, bytes[at + 5]!, bytes[at + 6]!, bytes[at + 7]!);
    const shownType = /^[A-Za-z]{4}$/.test(type) ? type : JSON.stringify(type);
    if (len > 0x7fffffff) throw bad(`PNG chunk ${shownType} at byte ${at} declares ${len} bytes (over 2^31 - 1)`);
    const body = at + 8;
    if (body + len + 4 > bytes.length) throw bad(`truncated PNG: chunk ${shownType} at byte ${at} runs past the end of the file`);
    if (crc32Of(bytes.subarray(at + 4, body + len)) !== view.getUint32(body + len, false)) throw bad(`corrupt PNG: chunk ${shownType} at byte ${at} fails its CRC check`);
    if (info === null && type !== 'IHDR') throw bad(`corrupt PNG: the first chunk is ${shownType}, not IHDR`);
    if (type === 'IHDR') {
      if (info !== null) throw bad('corrupt PNG: a second IHDR chunk');
      if (len !== 13) throw bad(`corrupt PNG: IHDR has ${len} bytes, not 13`);
      const width = view.getUint32(body, false);
      const height = view.getUint32(body + 4, false);
      const bitDepth = bytes[body + 8]!;
      const colorType = bytes[body + 9]!;
      const interlace = bytes[body + 12]!;
      if (width === 0 || height === 0 || width > 0x7fffffff || height > 0x7fffffff) throw bad(`corrupt PNG: IHDR size ${width}×${height} (each side must be 1 … 2^31 - 1)`);
      const ct = COLOR_TYPES[colorType];
      if (!ct || !ct.depths.includes(bitDepth)) throw bad(`corrupt PNG: colour type ${colorType} at bit depth ${bitDepth} is not a valid combination`);
      if (bytes[body + 10] !== 0 || bytes[body + 11] !== 0 || interlace > 1) throw bad('corrupt PNG: unknown compression, filter or interlace method in IHDR');
      if (width * height > maxImagePixels) {
        throw new LimitExceededError(file, 'maxImagePixels', maxImagePixels, width * height, `a PNG of ${width}×${height} = ${(width * height).toLocaleString('en-US')} pixels`);
      }
      info = { width, height, bitDepth, colorType, interlaced: interlace === 1, palette: null };
    } else if (type === 'PLTE') {
      if (len === 0 || len % 3 !== 0 || len > 768) throw bad(`corrupt PNG: PLTE of ${len} bytes (must be 1 to 256 RGB triples)`);
      info!.palette = bytes.subarray(body, body + len);
    } else if (type === 'IDAT') {
      idat.push(bytes.subarray(body, body + len));
      idatBytes += len;
    } else if (type === 'IEND') {
      ended = true;
      break;
    }
    at = body + len + 4;
  }
  if (info === null) throw bad('truncated PNG: no IHDR chunk');
  if (!ended) throw bad('truncated PNG: the file ends before its IEND chunk');
  if (info.colorType === 3 && !info.palette) throw bad('corrupt PNG: palette image (colour type 3) without a PLTE chunk');
  if (idat.length === 0) throw bad('corrupt PNG: no image data (IDAT chunk)');
  const expected = pngDataSize(info.width, info.height, info.bitDepth, info.colorType, info.interlaced);
  let inflated: Buffer;
  try {
    inflated = inflateSync(idat.length === 1 ? idat[0]! : Buffer.concat(idat, idatBytes), { maxOutputLength: expected });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ERR_BUFFER_TOO_LARGE') throw bad(`corrupt PNG: the image data decompresses to more than the ${expected} bytes its ${info.width}×${info.height} header implies`);
    throw bad(`corrupt PNG: image data does not decompress (${err.message}; truncated or damaged?)`);
  }
  if (inflated.length !== expected) {
    throw bad(`truncated PNG: the image data decompresses to ${inflated.length} bytes but its ${info.width}×${info.height} header implies ${expected}`);
  }
  return info;
}

/**
 * Check what a decoder returned against the header it was checked with: same size, and `values` holding
 * `channels` samples per pixel (a decoder that returns less or more has misread the file).
 */
export function checkDecodedSize(file: string, what: string, header: { width: number; height: number }, got: { width: number; height: number; values: number }, channels: number): void {
  if (got.width !== header.width || got.height !== header.height || got.values !== header.width * header.height * channels) {
    throw new DatasetError(
      file,
      `unreadable ${what}: the decoder returned ${got.width}×${got.height} with ${got.values} values for a ${header.width}×${header.height} header (${header.width * header.height * channels} expected)`,
    );
  }
}

/** CRC-32 (ISO 3309, the PNG chunk checksum) of `bytes`, unsigned (npm `crc-32`). */
function crc32Of(bytes: Uint8Array): number {
  return CRC32.buf(bytes) >>> 0;
}
