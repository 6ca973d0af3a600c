import * as tf from '@tensorflow/tfjs-core';
import { bf16BitsToFloat, f16BitsToFloat, floatToBf16Bits, floatToF16Bits } from './float16';

/**
 * Safetensors dtypes this reader decodes. Floats decode to `Float32Array` (F64 rounded), integers to
 * `Int32Array` (64/32-bit unsigned values range-checked), U8 and BOOL to `Uint8Array`.
 */
export type SafetensorsDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U64' | 'U32' | 'U16' | 'U8' | 'BOOL';

/** Element storage of a decoded tensor. */
export type SafetensorsData = Float32Array | Int32Array | Uint8Array;

/** One tensor of a safetensors file, decoded. */
export interface SafetensorsTensor {
  dtype: SafetensorsDtype;
  shape: number[];
  data: SafetensorsData;
}

/** A decoded tensor with where it lay in the file. */
export interface ParsedSafetensor extends SafetensorsTensor {
  /** [begin, end) byte offsets relative to the start of the byte buffer (after the header). */
  dataOffsets: [number, number];
}

/** Result of {@link parseSafetensors}. */
export interface ParsedSafetensors {
  /** Tensors by name, in file (offset) order. */
  tensors: Map<string, ParsedSafetensor>;
  /** `__metadata__` string map ({} when absent). */
  metadata: Record<string, string>;
  /** Length N of the JSON header; the byte buffer starts at 8 + N. */
  headerSize: number;
}

/** Kinds of defect {@link parseSafetensors} reports (as the reference Rust reader's errors). */
export type SafetensorsErrorCode =
  | 'HeaderTooSmall'
  | 'HeaderTooLarge'
  | 'InvalidHeaderLength'
  | 'InvalidHeaderUtf8'
  | 'InvalidHeaderStart'
  | 'InvalidHeaderJson'
  | 'InvalidTensorEntry'
  | 'UnknownDtype'
  | 'InvalidOffset'
  | 'TensorInvalidInfo'
  | 'MetadataIncompleteBuffer'
  | 'ValueOutOfRange'
  | 'InvalidInput';

/** A malformed safetensors file or an unserialisable tensor; `code` names the defect. */
export class SafetensorsError extends Error {
  constructor(
    readonly code: SafetensorsErrorCode,
    message: string,
  ) {
    super(`safetensors: ${message}`);
    this.name = 'SafetensorsError';
  }
}

/** Maximum header size accepted, as the reference reader (100 MB). */
export const SAFETENSORS_MAX_HEADER_SIZE = 100_000_000;

const DTYPE_SIZE: Record<SafetensorsDtype, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U64: 8, U32: 4, U16: 2, U8: 1, BOOL: 1,
};
// Dtypes of the format that this reader does not decode (so the error can say "unsupported", not "unknown").
const UNSUPPORTED = new Set(['F8_E5M2', 'F8_E4M3', 'F8_E8M0', 'F6_E2M3', 'F6_E3M2', 'F4', 'C64']);
// Declaration order of the Rust `Dtype` enum, which the official serializer sorts by (descending).
const DTYPE_ORDER: SafetensorsDtype[] = ['BOOL', 'U8', 'I8', 'I16', 'U16', 'F16', 'BF16', 'I32', 'U32', 'F32', 'F64', 'I64', 'U64'];

/** Bytes per element of `dtype`. */
export function safetensorsDtypeSize(dtype: SafetensorsDtype): number {
  return DTYPE_SIZE[dtype];
}

function isDtype(d: unknown): d is SafetensorsDtype {
  return typeof d === 'string' && Object.hasOwn(DTYPE_SIZE, d);
}

const isIndex = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/**
 * Parse and validate a safetensors file (`[u64 LE header length N][N-byte JSON header][byte buffer]`)
 * as the reference Rust reader does: header size cap, UTF-8 JSON object starting with `{`, every entry
 * with a known dtype, shape and data_offsets, offsets in order and tiling the buffer exactly (no gap,
 * no overlap), each size equal to numel × dtype size, and no missing or extra bytes. Each defect throws
 * a {@link SafetensorsError} naming the tensor. Tensors at unaligned offsets are copied, so any valid
 * file decodes.
 */
export function parseSafetensors(bytes: Uint8Array): ParsedSafetensors {
  if (bytes.length < 8) throw new SafetensorsError('HeaderTooSmall', `file has ${bytes.length} bytes, fewer than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lo = view.getUint32(0, true);
  const hi = view.getUint32(4, true);
  const n = hi * 2 ** 32 + lo;
  if (n > SAFETENSORS_MAX_HEADER_SIZE) throw new SafetensorsError('HeaderTooLarge', `header length ${n} exceeds the ${SAFETENSORS_MAX_HEADER_SIZE}-byte limit`);
  if (8 + n > bytes.length) {
    throw new SafetensorsError('InvalidHeaderLength', `header length ${n} runs past the end of the file (8 + ${n} > ${bytes.length} bytes)`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    throw new SafetensorsError('InvalidHeaderUtf8', 'header is not valid UTF-8');
  }
  if (!text.startsWith('{')) throw new SafetensorsError('InvalidHeaderStart', `header must start with "{", starts with ${JSON.stringify(text.slice(0, 8))}`);
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    throw new SafetensorsError('InvalidHeaderJson', `header is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new SafetensorsError('InvalidHeaderJson', 'header is not a JSON object');
  }

  let metadata: Record<string, string> = {};
  const entries: { name: string; dtype: SafetensorsDtype; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || !Object.values(raw).every((v) => typeof v === 'string')) {
        throw new SafetensorsError('InvalidHeaderJson', '"__metadata__" must be an object of string values');
      }
      metadata = { ...(raw as Record<string, string>) };
      continue;
    }
    if (typeof raw !== 'object' || raw === null) throw new SafetensorsError('InvalidTensorEntry', `tensor "${name}": entry is not an object`);
    const { dtype, shape, data_offsets: offsets } = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (dtype === undefined) throw new SafetensorsError('InvalidTensorEntry', `tensor "${name}": no "dtype"`);
    if (!isDtype(dtype)) {
      const why = typeof dtype === 'string' && UNSUPPORTED.has(dtype) ? 'is not supported by this reader' : 'is not a safetensors dtype';
      throw new SafetensorsError('UnknownDtype', `tensor "${name}": dtype ${JSON.stringify(dtype)} ${why}`);
    }
    if (!Array.isArray(shape) || !shape.every(isIndex)) throw new SafetensorsError('InvalidTensorEntry', `tensor "${name}": "shape" must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isIndex)) {
      throw new SafetensorsError('InvalidTensorEntry', `tensor "${name}": "data_offsets" must be [begin, end] non-negative integers, got ${JSON.stringify(offsets)}`);
    }
    entries.push({ name, dtype, shape: shape as number[], begin: offsets[0] as number, end: offsets[1] as number });
  }

  // As the reference reader: sorted by begin offset, each tensor must start where the previous one ended.
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  const bufferLength = bytes.length - 8 - n;
  let pos = 0;
  let prev: string | undefined;
  for (const e of entries) {
    if (e.end < e.begin) throw new SafetensorsError('InvalidOffset', `tensor "${e.name}": data_offsets [${e.begin}, ${e.end}] end before they begin`);
    if (e.begin !== pos) {
      const what = e.begin < pos ? `overlaps ${prev === undefined ? 'the buffer start' : `tensor "${prev}"`} (which ends at ${pos})` : `leaves a gap of ${e.begin - pos} bytes after ${prev === undefined ? 'the buffer start' : `tensor "${prev}"`}`;
      throw new SafetensorsError('InvalidOffset', `tensor "${e.name}": data_offsets [${e.begin}, ${e.end}] ${what}`);
    }
    const numel = e.shape.reduce((a, b) => a * b, 1);
    if (!Number.isSafeInteger(numel * DTYPE_SIZE[e.dtype])) throw new SafetensorsError('TensorInvalidInfo', `tensor "${e.name}": shape [${e.shape}] is too large`);
    if (e.end - e.begin !== numel * DTYPE_SIZE[e.dtype]) {
      throw new SafetensorsError('TensorInvalidInfo', `tensor "${e.name}": ${e.end - e.begin} bytes at [${e.begin}, ${e.end}] but shape [${e.shape}] of ${e.dtype} needs ${numel * DTYPE_SIZE[e.dtype]}`);
    }
    if (e.end > bufferLength) {
      throw new SafetensorsError('MetadataIncompleteBuffer', `tensor "${e.name}": data_offsets [${e.begin}, ${e.end}] run past the end of the ${bufferLength}-byte buffer (file truncated?)`);
    }
    pos = e.end;
    prev = e.name;
  }
  if (pos !== bufferLength) {
    throw new SafetensorsError('MetadataIncompleteBuffer', `the tensors cover ${pos} bytes but the buffer after the header has ${bufferLength} (${bufferLength - pos} trailing bytes)`);
  }

  const start = 8 + n;
  const tensors = new Map<string, ParsedSafetensor>();
  for (const e of entries) {
    const data = decode(e.name, e.dtype, bytes.subarray(start + e.begin, start + e.end));
    tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data, dataOffsets: [e.begin, e.end] });
  }
  return { tensors, metadata, headerSize: n };
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function decode(name: string, dtype: SafetensorsDtype, raw: Uint8Array): SafetensorsData {
  const size = DTYPE_SIZE[dtype];
  const count = raw.length / size;
  // `slice` copies into a fresh, aligned buffer: typed views then work whatever the file offset.
  if (LITTLE_ENDIAN && dtype === 'F32') return new Float32Array(raw.slice().buffer);
  if (LITTLE_ENDIAN && dtype === 'I32') return new Int32Array(raw.slice().buffer);
  if (dtype === 'U8' || dtype === 'BOOL') return raw.slice();
  const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  switch (dtype) {
    case 'F64':
    case 'F32':
    case 'F16':
    case 'BF16': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) {
        const o = i * size;
        out[i] = dtype === 'F64' ? v.getFloat64(o, true) : dtype === 'F32' ? v.getFloat32(o, true) : dtype === 'F16' ? f16BitsToFloat(v.getUint16(o, true)) : bf16BitsToFloat(v.getUint16(o, true));
      }
      return out;
    }
    default: {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) {
        const o = i * size;
        let x: number;
        if (dtype === 'I64' || dtype === 'U64') {
          const low = v.getInt32(o, true);
          const high = v.getInt32(o + 4, true);
          // Fits in int32 iff the high word is the sign extension of the low one (U64: both zero-extended).
          const fits = dtype === 'I64' ? high === low >> 31 : high === 0 && low >= 0;
          if (!fits) {
            const big = dtype === 'I64' ? v.getBigInt64(o, true) : v.getBigUint64(o, true);
            throw new SafetensorsError('ValueOutOfRange', `tensor "${name}": ${dtype} value ${big} at index ${i} does not fit in int32`);
          }
          x = low;
        } else if (dtype === 'U32') {
          x = v.getUint32(o, true);
          if (x > 0x7fffffff) throw new SafetensorsError('ValueOutOfRange', `tensor "${name}": U32 value ${x} at index ${i} does not fit in int32`);
        } else if (dtype === 'I32') x = v.getInt32(o, true);
        else if (dtype === 'I16') x = v.getInt16(o, true);
        else if (dtype === 'U16') x = v.getUint16(o, true);
        else x = v.getInt8(o);
        out[i] = x;
      }
      return out;
    }
  }
}

/** A tensor to serialise: a tfjs tensor, or raw data with the dtype to store it as. */
export type SafetensorsInput = tf.Tensor | { dtype: SafetensorsDtype; shape: number[]; data: ArrayLike<number> };

/** Options of {@link serializeSafetensors}. */
export interface SerializeSafetensorsOptions {
  /** Storage dtype of float32 tfjs tensors (default F32); F16/BF16 round to nearest even. */
  dtype?: 'F32' | 'F16' | 'BF16';
}

const INT_RANGE: Partial<Record<SafetensorsDtype, [number, number]>> = {
  I64: [-(2 ** 53), 2 ** 53], I32: [-(2 ** 31), 2 ** 31 - 1], I16: [-32768, 32767], I8: [-128, 127],
  U64: [0, 2 ** 53], U32: [0, 2 ** 32 - 1], U16: [0, 65535], U8: [0, 255], BOOL: [0, 1],
};

/**
 * Serialise tensors to safetensors bytes exactly as the official serializer lays them out: tensors
 * sorted by dtype (the Rust enum's order, descending, which puts wider types first) then by name,
 * `__metadata__` first in the header, header padded with spaces to a multiple of 8 bytes. tfjs float32
 * tensors are stored as `options.dtype` (F32 default), int32 as I32, bool as BOOL.
 */
export function serializeSafetensors(
  tensors: Map<string, SafetensorsInput>,
  metadata?: Record<string, string>,
  options: SerializeSafetensorsOptions = {},
): Uint8Array {
  const floatDtype = options.dtype ?? 'F32';
  if (!['F32', 'F16', 'BF16'].includes(floatDtype)) throw new SafetensorsError('InvalidInput', `options.dtype must be F32, F16 or BF16, got ${String(floatDtype)}`);
  if (metadata) {
    for (const [k, v] of Object.entries(metadata)) if (typeof v !== 'string') throw new SafetensorsError('InvalidInput', `metadata "${k}" must be a string, got ${typeof v}`);
  }
  const items: { name: string; dtype: SafetensorsDtype; shape: number[]; data: ArrayLike<number> }[] = [];
  for (const [name, t] of tensors) {
    if (name === '__metadata__') throw new SafetensorsError('InvalidInput', 'a tensor cannot be named "__metadata__"');
    if (t instanceof tf.Tensor) {
      const dtype: SafetensorsDtype | undefined = t.dtype === 'float32' ? floatDtype : t.dtype === 'int32' ? 'I32' : t.dtype === 'bool' ? 'BOOL' : undefined;
      if (!dtype) throw new SafetensorsError('InvalidInput', `tensor "${name}": tfjs dtype ${t.dtype} cannot be stored`);
      items.push({ name, dtype, shape: t.shape, data: t.dataSync() as ArrayLike<number> });
    } else {
      if (!isDtype(t.dtype)) throw new SafetensorsError('InvalidInput', `tensor "${name}": unknown dtype ${JSON.stringify(t.dtype)}`);
      if (!Array.isArray(t.shape) || !t.shape.every(isIndex)) throw new SafetensorsError('InvalidInput', `tensor "${name}": shape must be non-negative integers, got ${JSON.stringify(t.shape)}`);
      const numel = t.shape.reduce((a, b) => a * b, 1);
      if (t.data.length !== numel) throw new SafetensorsError('InvalidInput', `tensor "${name}": ${t.data.length} values for shape [${t.shape}] (${numel} elements)`);
      items.push({ name, dtype: t.dtype, shape: [...t.shape], data: t.data });
    }
  }
  items.sort((a, b) => DTYPE_ORDER.indexOf(b.dtype) - DTYPE_ORDER.indexOf(a.dtype) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  for (const it of items) {
    const nbytes = it.data.length * DTYPE_SIZE[it.dtype];
    header[it.name] = { dtype: it.dtype, shape: it.shape, data_offsets: [offset, offset + nbytes] };
    offset += nbytes;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerSize = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerSize + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, headerSize, true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerSize);
  let pos = 8 + headerSize;
  for (const it of items) {
    encode(it.name, it.dtype, it.data, view, pos);
    pos += it.data.length * DTYPE_SIZE[it.dtype];
  }
  return out;
}

function encode(name: string, dtype: SafetensorsDtype, data: ArrayLike<number>, v: DataView, start: number): void {
  const size = DTYPE_SIZE[dtype];
  const range = INT_RANGE[dtype];
  for (let i = 0; i < data.length; i++) {
    const x = data[i]!;
    const o = start + i * size;
    if (range && !(Number.isInteger(x) && x >= range[0] && x <= range[1])) {
      throw new SafetensorsError('ValueOutOfRange', `tensor "${name}": value ${x} at index ${i} is not a ${dtype} integer`);
    }
    switch (dtype) {
      case 'F64': v.setFloat64(o, x, true); break;
      case 'F32': v.setFloat32(o, x, true); break;
      case 'F16': v.setUint16(o, floatToF16Bits(x), true); break;
      case 'BF16': v.setUint16(o, floatToBf16Bits(x), true); break;
      case 'I64': v.setBigInt64(o, BigInt(x), true); break;
      case 'U64': v.setBigUint64(o, BigInt(x), true); break;
      case 'I32': v.setInt32(o, x, true); break;
      case 'U32': v.setUint32(o, x, true); break;
      case 'I16': v.setInt16(o, x, true); break;
      case 'U16': v.setUint16(o, x, true); break;
      case 'I8': v.setInt8(o, x); break;
      default: v.setUint8(o, x);
    }
  }
}

/**
 * tfjs tensors of parsed safetensors: floats as float32, integers (and U8) as int32, BOOL as bool.
 * The caller owns (disposes) the tensors.
 */
export function toTensorMap(parsed: { tensors: Map<string, SafetensorsTensor> }): Map<string, tf.Tensor> {
  const out = new Map<string, tf.Tensor>();
  for (const [name, t] of parsed.tensors) {
    const dtype: tf.DataType = t.data instanceof Float32Array ? 'float32' : t.dtype === 'BOOL' ? 'bool' : 'int32';
    const data = t.data instanceof Uint8Array && dtype === 'int32' ? Int32Array.from(t.data) : t.data;
    out.set(name, tf.tensor(data, t.shape, dtype));
  }
  return out;
}
