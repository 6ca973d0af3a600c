import { constants as bufferConstants } from 'node:buffer';
import { gunzipSync } from 'node:zlib';
import { DatasetError } from '../errors';
import { LimitExceededError, resolveLimits, type LoaderLimits } from '../limits';
import type { ImageClassificationData } from '../types';
import { readFileOrThrow } from './read-file';

/** A parsed IDX tensor (the MNIST file format): its shape and values in file order. */
export interface IdxArray {
  shape: number[];
  /** Values in row-major order; uint8 files keep their raw 0–255 values. */
  data: Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;
}

const IDX_TYPES: Record<number, { name: string; bytes: number }> = {
  0x08: { name: 'uint8', bytes: 1 },
  0x09: { name: 'int8', bytes: 1 },
  0x0b: { name: 'int16', bytes: 2 },
  0x0c: { name: 'int32', bytes: 4 },
  0x0d: { name: 'float32', bytes: 4 },
  0x0e: { name: 'float64', bytes: 8 },
};

/** True when `bytes` starts with the gzip magic number. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Options of {@link parseIdx} / {@link readIdx}. */
export interface IdxParseOptions {
  /** Limits ({@link LoaderLimits}): the file and its decompressed payload may hold at most `maxIdxBytes`. */
  limits?: LoaderLimits;
}

/**
 * Parses an IDX file (gzip-compressed or not). IDX is big-endian: a 4-byte magic `0 0 type ndim`, then
 * `ndim` uint32 dimensions, then the values. Decompression stops at `maxIdxBytes` ({@link LoaderLimits}), and
 * a header declaring more than that (even an empty tensor with absurd dimensions) is refused before any
 * allocation, each a {@link LimitExceededError} naming the file.
 * @param bytes file contents
 * @param file name used in error messages
 */
export function parseIdx(bytes: Uint8Array, file = '<idx>', options: IdxParseOptions = {}): IdxArray {
  const { maxIdxBytes } = resolveLimits(options.limits);
  if (bytes.length > maxIdxBytes) throw new LimitExceededError(file, 'maxIdxBytes', maxIdxBytes, bytes.length, `an IDX file of ${bytes.length.toLocaleString('en-US')} bytes`);
  let buf = bytes;
  if (isGzip(buf)) {
    try {
      // maxOutputLength stops inflating there: a gzip bomb costs at most the limit.
      buf = gunzipSync(buf, { maxOutputLength: Math.max(1, Math.min(maxIdxBytes, bufferConstants.MAX_LENGTH)) });
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'ERR_BUFFER_TOO_LARGE') throw new LimitExceededError(file, 'maxIdxBytes', maxIdxBytes, maxIdxBytes + 1, 'the decompressed IDX data');
      throw new DatasetError(file, `corrupt gzip stream (${err.message})`);
    }
  }
  if (buf.length < 4) throw new DatasetError(file, `too short for an IDX header (${buf.length} bytes)`);
  if (buf[0] !== 0 || buf[1] !== 0) throw new DatasetError(file, `not an IDX file: magic must start with two zero bytes, got ${buf[0]}, ${buf[1]}`);
  const type = IDX_TYPES[buf[2]!];
  if (!type) throw new DatasetError(file, `unknown IDX data type 0x${buf[2]!.toString(16)}`);
  const ndim = buf[3]!;
  if (ndim < 1) throw new DatasetError(file, 'IDX header declares 0 dimensions');
  const headerBytes = 4 + 4 * ndim;
  if (buf.length < headerBytes) throw new DatasetError(file, `truncated IDX header: ${ndim} dimensions need ${headerBytes} bytes, file has ${buf.length}`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const shape: number[] = [];
  for (let d = 0; d < ndim; d++) shape.push(view.getUint32(4 + 4 * d, false));
  // Non-zero dimensions alone must fit the limit: [2^32 - 1, 2^32 - 1, 0] is empty but no real tensor.
  const declared = shape.reduce((a, b) => (b === 0 ? a : a * b), 1) * type.bytes;
  if (declared > maxIdxBytes) {
    throw new LimitExceededError(file, 'maxIdxBytes', maxIdxBytes, declared, `IDX shape [${shape.join(', ')}] of ${type.name} (${declared.toLocaleString('en-US')} bytes without its zero dimensions)`);
  }
  const count = shape.reduce((a, b) => a * b, 1);
  const expected = headerBytes + count * type.bytes;
  if (buf.length !== expected) {
    throw new DatasetError(file, `IDX shape [${shape.join(', ')}] of ${type.name} needs ${expected} bytes, file has ${buf.length} (truncated or wrong header)`);
  }
  const at = headerBytes;
  switch (type.name) {
    case 'uint8':
      return { shape, data: Uint8Array.from(buf.subarray(at)) };
    case 'int8':
      return { shape, data: Int8Array.from(buf.subarray(at), (v) => (v << 24) >> 24) };
    default: {
      // Multi-byte values are big-endian, so read them one by one through a DataView.
      const out =
        type.name === 'int16' ? new Int16Array(count)
        : type.name === 'int32' ? new Int32Array(count)
        : type.name === 'float32' ? new Float32Array(count)
        : new Float64Array(count);
      for (let i = 0; i < count; i++) {
        const o = at + i * type.bytes;
        out[i] =
          type.name === 'int16' ? view.getInt16(o, false)
          : type.name === 'int32' ? view.getInt32(o, false)
          : type.name === 'float32' ? view.getFloat32(o, false)
          : view.getFloat64(o, false);
      }
      return { shape, data: out };
    }
  }
}

/** Reads and parses an IDX file from disk (at most `maxIdxBytes`); see {@link parseIdx}. */
export function readIdx(path: string, options: IdxParseOptions = {}): IdxArray {
  return parseIdx(readFileOrThrow(path, resolveLimits(options.limits).maxIdxBytes, 'maxIdxBytes'), path, options);
}

/** Options for {@link loadIdxImageClassification}. */
export interface IdxLoadOptions {
  /** Class names; defaults to "0".."9" (the label count is taken from this list). */
  classNames?: string[];
  /** Keep only the first `limit` samples. */
  limit?: number;
  /** Limits ({@link LoaderLimits}): each file and its decompressed payload may hold at most `maxIdxBytes`. */
  limits?: LoaderLimits;
}

/**
 * Loads an MNIST-style pair of IDX files (`*-images-idx3-ubyte[.gz]`, `*-labels-idx1-ubyte[.gz]`) into an
 * {@link ImageClassificationData} with one channel and values scaled to [0, 1].
 */
export function loadIdxImageClassification(imagesPath: string, labelsPath: string, options: IdxLoadOptions = {}): ImageClassificationData {
  const idxOptions = options.limits ? { limits: options.limits } : {};
  const images = readIdx(imagesPath, idxOptions);
  const labels = readIdx(labelsPath, idxOptions);
  if (images.shape.length !== 3) throw new DatasetError(imagesPath, `expected a 3-D images tensor [n, h, w], got shape [${images.shape.join(', ')}]`);
  if (!(images.data instanceof Uint8Array)) throw new DatasetError(imagesPath, 'expected uint8 pixel values');
  if (labels.shape.length !== 1) throw new DatasetError(labelsPath, `expected a 1-D labels tensor, got shape [${labels.shape.join(', ')}]`);
  const [nAll, height, width] = images.shape as [number, number, number];
  if (labels.shape[0] !== nAll) throw new DatasetError(labelsPath, `has ${labels.shape[0]} labels but ${imagesPath} has ${nAll} images`);
  const classNames = options.classNames ?? Array.from({ length: 10 }, (_, i) => String(i));
  const n = Math.min(nAll, options.limit ?? nAll);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const y = labels.data[i]!;
    if (!Number.isInteger(y) || y < 0 || y >= classNames.length) throw new DatasetError(labelsPath, `label ${y} at index ${i} is out of range [0, ${classNames.length})`);
    out[i] = y;
  }
  const px = new Float32Array(n * height * width);
  for (let i = 0; i < px.length; i++) px[i] = images.data[i]! / 255;
  return { images: px, labels: out, n, height, width, channels: 1, classNames };
}
