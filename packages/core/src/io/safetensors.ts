import * as tf from '@tensorflow/tfjs-core';
import { bf16BitsToFloat, f16BitsToFloat, floatToBf16Bits, floatToF16Bits } from './float16';
import { scanJsonStructure } from './json-structure';

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

/** Kinds of defect {@link parseSafetensors} reports (as the reference Rust reader's errors, plus the limits). */
export type SafetensorsErrorCode =
  | 'HeaderTooSmall'
  | 'HeaderTooLarge'
  | 'HeaderTooDeep'
  | 'TooManyTensors'
  | 'InvalidHeaderLength'
  | 'InvalidHeaderUtf8'
  | 'InvalidHeaderStart'
  | 'InvalidHeaderJson'
  | 'DuplicateKey'
  | 'InvalidTensorEntry'
  | 'UnknownDtype'
  | 'InvalidOffset'
  | 'ValidationOverflow'
  | 'TensorInvalidInfo'
  | 'MetadataIncompleteBuffer'
  | 'ValueOutOfRange'
  | 'InvalidBool'
  | 'InvalidInput';

/** Names of the configurable limits ({@link SafetensorsLimits}). */
export type SafetensorsLimitName = 'maxHeaderSize' | 'maxDepth' | 'maxTensors';

/**
 * A malformed safetensors file, one over a limit, or an unserialisable tensor; `code` names the defect,
 * `file` the file (when known), `limit` the limit exceeded (for `HeaderTooLarge`, `HeaderTooDeep`,
 * `TooManyTensors`).
 */
export class SafetensorsError extends Error {
  readonly file: string | undefined;
  readonly limit: { name: SafetensorsLimitName; max: number; value: number } | undefined;
  constructor(
    readonly code: SafetensorsErrorCode,
    message: string,
    details: { file?: string | undefined; limit?: { name: SafetensorsLimitName; max: number; value: number } } = {},
  ) {
    super(`${details.file !== undefined ? `${details.file}: ` : ''}safetensors: ${message}`);
    this.name = 'SafetensorsError';
    this.file = details.file;
    this.limit = details.limit;
  }
}

/** Limits on what {@link parseSafetensors} accepts; each is checked before the header is parsed. */
export interface SafetensorsLimits {
  /** Largest JSON header, in bytes. Default {@link SAFETENSORS_MAX_HEADER_SIZE} (100 MB, the reference reader's cap). */
  maxHeaderSize?: number;
  /** Deepest nesting of JSON arrays/objects in the header. Default 128 (serde_json's recursion limit, which the reference reader inherits). */
  maxDepth?: number;
  /** Most tensors in one file. Default 1,000,000. */
  maxTensors?: number;
}

/** Options of {@link parseSafetensors}. */
export interface ParseSafetensorsOptions extends SafetensorsLimits {
  /** File name put at the start of error messages. */
  file?: string;
}

/** Maximum header size accepted by default, as the reference reader (100 MB). */
export const SAFETENSORS_MAX_HEADER_SIZE = 100_000_000;

/** Default {@link SafetensorsLimits}. */
export const SAFETENSORS_DEFAULT_LIMITS: Readonly<Required<SafetensorsLimits>> = Object.freeze({
  maxHeaderSize: SAFETENSORS_MAX_HEADER_SIZE,
  maxDepth: 128,
  maxTensors: 1_000_000,
});

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

/** A short, bounded rendering of a header value for messages (headers can be 100 MB of anything). */
function show(v: unknown, depth = 0): string {
  if (v === null || typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (Array.isArray(v)) {
    if (depth >= 2) return `[… ${v.length} items]`;
    const items = v.slice(0, 6).map((x) => show(x, depth + 1));
    return `[${items.join(', ')}${v.length > 6 ? `, … ${v.length} items` : ''}]`;
  }
  if (typeof v === 'object') {
    const keys = Object.keys(v);
    return depth >= 2 ? '{…}' : `{${keys.slice(0, 4).map((k) => show(k)).join(', ')}${keys.length > 4 ? ', …' : ''}}`;
  }
  return typeof v;
}

// A lone UTF-16 surrogate has no UTF-8 encoding: the reference reader's JSON parser refuses "\ud800".
const LONE_SURROGATE = /\p{Cs}/u;

const JSON_WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);

/** A tensor name as quoted in messages (bounded). */
const q = (name: string): string => show(name);

// Checked product of the shape then × element size, in u64 as the reference reader (`try_fold(1, checked_mul)`):
// a partial product past 2^64 − 1 is an overflow even when a later dimension is 0.
const U64_MAX = 2n ** 64n - 1n;
function byteSize(shape: readonly number[], itemSize: number): { numel: number; bytes: number } | null {
  let p = 1;
  let big: bigint | undefined;
  for (const d of shape) {
    if (big === undefined) {
      const next = p * d;
      if (Number.isSafeInteger(next)) {
        p = next;
        continue;
      }
      big = BigInt(p);
    }
    big *= BigInt(d);
    if (big > U64_MAX) return null;
  }
  if (big !== undefined) {
    if (big * BigInt(itemSize) > U64_MAX) return null;
    // Past 2^53 elements but representable in u64: only a file of that size could hold it.
    return { numel: Number(big), bytes: Number(big * BigInt(itemSize)) };
  }
  return { numel: p, bytes: p * itemSize };
}

function limitOf(options: SafetensorsLimits, name: SafetensorsLimitName): number {
  const v = options[name] ?? SAFETENSORS_DEFAULT_LIMITS[name];
  if (!(typeof v === 'number' && v >= 0)) throw new SafetensorsError('InvalidInput', `limit ${name} must be a number >= 0, got ${String(v)}`);
  return v;
}

/**
 * Parse and validate a safetensors file (`[u64 LE header length N][N-byte JSON header][byte buffer]`)
 * as the reference Rust reader does: header size cap, UTF-8 JSON object (JSON whitespace around it is
 * fine, a byte order mark is not), every entry with a known dtype, shape and data_offsets, offsets in order and tiling
 * the buffer exactly (no gap, no overlap), each size equal to numel × dtype size computed with overflow
 * checks, and no missing or extra bytes. Stricter than it where it would guess: duplicate keys in any
 * object of the header (JSON keeps the last) and BOOL bytes other than 0 / 1 are refused.
 *
 * Limits ({@link SafetensorsLimits}: header size, nesting depth, tensor count) are checked before
 * the header is parsed, so a hostile header costs a linear scan of at most `maxHeaderSize` bytes. Each
 * defect throws a {@link SafetensorsError} naming the file (`options.file`), the tensor, and the limit
 * exceeded. Tensors at unaligned offsets are copied, so any valid file decodes.
 */
export function parseSafetensors(bytes: Uint8Array, options: ParseSafetensorsOptions = {}): ParsedSafetensors {
  const file = options.file;
  const fail: (code: SafetensorsErrorCode, message: string) => never = (code, message) => {
    throw new SafetensorsError(code, message, { file });
  };
  const maxHeaderSize = limitOf(options, 'maxHeaderSize');
  const maxDepth = limitOf(options, 'maxDepth');
  const maxTensors = limitOf(options, 'maxTensors');
  if (bytes.length < 8) fail('HeaderTooSmall', `file has ${bytes.length} bytes, fewer than the 8-byte header length`);
  const n = readHeaderLength(bytes);
  if (n > maxHeaderSize) {
    throw new SafetensorsError('HeaderTooLarge', `header length ${n} exceeds the limit maxHeaderSize = ${maxHeaderSize} bytes`, {
      file,
      limit: { name: 'maxHeaderSize', max: maxHeaderSize, value: n },
    });
  }
  if (8 + n > bytes.length) fail('InvalidHeaderLength', `header length ${n} runs past the end of the file (8 + ${n} > ${bytes.length} bytes)`);
  const headerBytes = bytes.subarray(8, 8 + n);
  // Structure first, on the raw bytes: a hostile header is refused before it is decoded or parsed.
  // JSON whitespace may pad the header on either side (the reference reader since safetensors #686); a
  // byte order mark is not JSON whitespace.
  let first = 0;
  while (first < headerBytes.length && JSON_WHITESPACE.has(headerBytes[first]!)) first++;
  if (headerBytes[first] === 0xef && headerBytes[first + 1] === 0xbb && headerBytes[first + 2] === 0xbf) fail('InvalidHeaderStart', 'header starts with a UTF-8 byte order mark; it must start with "{"');
  if (headerBytes[first] !== 0x7b) {
    fail('InvalidHeaderStart', first === headerBytes.length ? 'header is empty; it must be a JSON object' : `header must start with "{", starts with byte 0x${headerBytes[first]!.toString(16).padStart(2, '0')}`);
  }
  const problem = scanJsonStructure(headerBytes, { maxDepth, maxTopLevelMembers: maxTensors, uncounted: ['__metadata__'] });
  if (problem?.kind === 'depth') {
    throw new SafetensorsError('HeaderTooDeep', `header nests arrays/objects ${problem.depth} deep (at byte ${8 + problem.offset}), over the limit maxDepth = ${maxDepth}`, {
      file,
      limit: { name: 'maxDepth', max: maxDepth, value: problem.depth },
    });
  }
  if (problem?.kind === 'members') {
    throw new SafetensorsError('TooManyTensors', `header lists more than the limit maxTensors = ${maxTensors} tensors`, {
      file,
      limit: { name: 'maxTensors', max: maxTensors, value: problem.count },
    });
  }
  let text = '';
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(headerBytes);
  } catch {
    fail('InvalidHeaderUtf8', 'header is not valid UTF-8');
  }
  if (problem?.kind === 'duplicate') {
    const where = problem.path.length === 0 ? 'the header' : problem.path[0] === '__metadata__' ? '"__metadata__"' : `tensor ${q(problem.path[0]!)}`;
    fail('DuplicateKey', `${where} has the key ${q(problem.key)} twice`);
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    fail('InvalidHeaderJson', `header is not valid JSON: ${(e as Error).message.slice(0, 200)}`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('InvalidHeaderJson', 'header is not a JSON object');

  let metadata: Record<string, string> = {};
  const entries: { name: string; dtype: SafetensorsDtype; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (raw === null) continue; // Option::None in the reference reader
      if (typeof raw !== 'object' || Array.isArray(raw) || !Object.values(raw).every((v) => typeof v === 'string')) {
        fail('InvalidHeaderJson', '"__metadata__" must be an object of string values');
      }
      metadata = { ...(raw as Record<string, string>) };
      for (const [k, v] of Object.entries(metadata)) {
        if (LONE_SURROGATE.test(k) || LONE_SURROGATE.test(v)) fail('InvalidHeaderJson', `"__metadata__" entry ${q(k)} holds a lone UTF-16 surrogate escape (not Unicode)`);
      }
      continue;
    }
    if (LONE_SURROGATE.test(name)) fail('InvalidHeaderJson', `tensor name ${q(name)} holds a lone UTF-16 surrogate escape (not Unicode)`);
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail('InvalidTensorEntry', `tensor ${q(name)}: entry is not an object`);
    const { dtype, shape, data_offsets: offsets } = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (dtype === undefined) fail('InvalidTensorEntry', `tensor ${q(name)}: no "dtype"`);
    if (!isDtype(dtype)) {
      const why = typeof dtype === 'string' && UNSUPPORTED.has(dtype) ? 'is not supported by this reader' : 'is not a safetensors dtype';
      fail('UnknownDtype', `tensor ${q(name)}: dtype ${show(dtype)} ${why}`);
    }
    if (!Array.isArray(shape) || !shape.every(isIndex)) fail('InvalidTensorEntry', `tensor ${q(name)}: "shape" must be an array of non-negative integers, got ${show(shape)}`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isIndex)) {
      fail('InvalidTensorEntry', `tensor ${q(name)}: "data_offsets" must be [begin, end] non-negative integers, got ${show(offsets)}`);
    }
    entries.push({ name, dtype: dtype as SafetensorsDtype, shape: shape as number[], begin: (offsets as number[])[0]!, end: (offsets as number[])[1]! });
  }

  // As the reference reader: sorted by begin offset, each tensor must start where the previous one ended.
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  const bufferLength = bytes.length - 8 - n;
  let pos = 0;
  let prev: string | undefined;
  for (const e of entries) {
    if (e.end < e.begin) fail('InvalidOffset', `tensor ${q(e.name)}: data_offsets [${e.begin}, ${e.end}] end before they begin`);
    if (e.begin !== pos) {
      const after = prev === undefined ? 'the buffer start' : `tensor ${q(prev)}`;
      const what = e.begin < pos ? `overlaps ${after} (which ends at ${pos})` : `leaves a gap of ${e.begin - pos} bytes after ${after}`;
      fail('InvalidOffset', `tensor ${q(e.name)}: data_offsets [${e.begin}, ${e.end}] ${what}`);
    }
    const size = byteSize(e.shape, DTYPE_SIZE[e.dtype]);
    if (size === null) fail('ValidationOverflow', `tensor ${q(e.name)}: shape ${show(e.shape)} of ${e.dtype} overflows a 64-bit byte count`);
    if (e.end - e.begin !== size!.bytes) {
      fail('TensorInvalidInfo', `tensor ${q(e.name)}: ${e.end - e.begin} bytes at [${e.begin}, ${e.end}] but shape ${show(e.shape)} of ${e.dtype} needs ${size!.bytes}`);
    }
    if (e.end > bufferLength) {
      fail('MetadataIncompleteBuffer', `tensor ${q(e.name)}: data_offsets [${e.begin}, ${e.end}] run past the end of the ${bufferLength}-byte buffer (file truncated?)`);
    }
    pos = e.end;
    prev = e.name;
  }
  if (pos !== bufferLength) {
    fail('MetadataIncompleteBuffer', `the tensors cover ${pos} bytes but the buffer after the header has ${bufferLength} (${bufferLength - pos} trailing bytes)`);
  }

  const start = 8 + n;
  const tensors = new Map<string, ParsedSafetensor>();
  for (const e of entries) {
    const data = decode(e.name, e.dtype, bytes.subarray(start + e.begin, start + e.end), file);
    tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data, dataOffsets: [e.begin, e.end] });
  }
  return { tensors, metadata, headerSize: n };
}

/** The u64 little-endian header length of a safetensors file (as a JS number; exact up to 2^53). */
export function readHeaderLength(bytes: Uint8Array): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return view.getUint32(4, true) * 2 ** 32 + view.getUint32(0, true);
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function decode(name: string, dtype: SafetensorsDtype, raw: Uint8Array, file: string | undefined): SafetensorsData {
  const size = DTYPE_SIZE[dtype];
  const count = raw.length / size;
  // `slice` copies into a fresh, aligned buffer: typed views then work whatever the file offset.
  if (LITTLE_ENDIAN && dtype === 'F32') return new Float32Array(raw.slice().buffer);
  if (LITTLE_ENDIAN && dtype === 'I32') return new Int32Array(raw.slice().buffer);
  if (dtype === 'BOOL') {
    // A bool is one byte holding 0 or 1 (Rust's and PyTorch's bool); anything else is not a boolean.
    const bad = raw.findIndex((b) => b > 1);
    if (bad >= 0) throw new SafetensorsError('InvalidBool', `tensor ${q(name)}: BOOL byte ${raw[bad]} at index ${bad} is neither 0 nor 1`, { file });
  }
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
            throw new SafetensorsError('ValueOutOfRange', `tensor ${q(name)}: ${dtype} value ${big} at index ${i} does not fit in int32`, { file });
          }
          x = low;
        } else if (dtype === 'U32') {
          x = v.getUint32(o, true);
          if (x > 0x7fffffff) throw new SafetensorsError('ValueOutOfRange', `tensor ${q(name)}: U32 value ${x} at index ${i} does not fit in int32`, { file });
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
 * tensors are stored as `options.dtype` (F32 default), int32 as I32, bool as BOOL. Asynchronous: tfjs tensors are
 * read with `data()` (all at once), so it works on every backend, webgpu included.
 */
export async function serializeSafetensors(
  tensors: Map<string, SafetensorsInput>,
  metadata?: Record<string, string>,
  options: SerializeSafetensorsOptions = {},
): Promise<Uint8Array> {
  const floatDtype = options.dtype ?? 'F32';
  if (!['F32', 'F16', 'BF16'].includes(floatDtype)) throw new SafetensorsError('InvalidInput', `options.dtype must be F32, F16 or BF16, got ${String(floatDtype)}`);
  if (metadata) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new SafetensorsError('InvalidInput', `metadata ${q(k)} must be a string, got ${typeof v}`);
      if (LONE_SURROGATE.test(k) || LONE_SURROGATE.test(v)) throw new SafetensorsError('InvalidInput', `metadata ${q(k)} holds a lone UTF-16 surrogate (not encodable as UTF-8)`);
    }
  }
  const items: { name: string; dtype: SafetensorsDtype; shape: number[]; data: ArrayLike<number> }[] = [];
  const reads: Promise<void>[] = [];
  for (const [name, t] of tensors) {
    if (name === '__metadata__') throw new SafetensorsError('InvalidInput', 'a tensor cannot be named "__metadata__"');
    if (LONE_SURROGATE.test(name)) throw new SafetensorsError('InvalidInput', `tensor name ${q(name)} holds a lone UTF-16 surrogate (not encodable as UTF-8)`);
    if (t instanceof tf.Tensor) {
      const dtype: SafetensorsDtype | undefined = t.dtype === 'float32' ? floatDtype : t.dtype === 'int32' ? 'I32' : t.dtype === 'bool' ? 'BOOL' : undefined;
      if (!dtype) throw new SafetensorsError('InvalidInput', `tensor ${q(name)}: tfjs dtype ${t.dtype} cannot be stored`);
      const item = { name, dtype, shape: t.shape, data: [] as ArrayLike<number> };
      items.push(item);
      reads.push(t.data().then((d) => void (item.data = d as ArrayLike<number>)));
    } else {
      if (!isDtype(t.dtype)) throw new SafetensorsError('InvalidInput', `tensor ${q(name)}: unknown dtype ${show(t.dtype)}`);
      if (!Array.isArray(t.shape) || !t.shape.every(isIndex)) throw new SafetensorsError('InvalidInput', `tensor ${q(name)}: shape must be non-negative integers, got ${show(t.shape)}`);
      const size = byteSize(t.shape, DTYPE_SIZE[t.dtype]);
      if (size === null || !Number.isSafeInteger(size.bytes)) throw new SafetensorsError('InvalidInput', `tensor ${q(name)}: shape ${show(t.shape)} is too large`);
      if (t.data.length !== size.numel) throw new SafetensorsError('InvalidInput', `tensor ${q(name)}: ${t.data.length} values for shape [${t.shape}] (${size.numel} elements)`);
      items.push({ name, dtype: t.dtype, shape: [...t.shape], data: t.data });
    }
  }
  await Promise.all(reads);
  items.sort((a, b) => DTYPE_ORDER.indexOf(b.dtype) - DTYPE_ORDER.indexOf(a.dtype) || compareCodePoints(a.name, b.name));

  // No prototype: a tensor named "__proto__" is then an ordinary key.
  const header: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
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

// Rust orders `String`s by their UTF-8 bytes, which is code point order (JS `<` compares UTF-16 units).
function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done) return y.done ? 0 : -1;
    if (y.done) return 1;
    const d = x.value.codePointAt(0)! - y.value.codePointAt(0)!;
    if (d !== 0) return d;
  }
}

function encode(name: string, dtype: SafetensorsDtype, data: ArrayLike<number>, v: DataView, start: number): void {
  const size = DTYPE_SIZE[dtype];
  const range = INT_RANGE[dtype];
  for (let i = 0; i < data.length; i++) {
    const x = data[i]!;
    const o = start + i * size;
    if (range && !(Number.isInteger(x) && x >= range[0] && x <= range[1])) {
      throw new SafetensorsError('ValueOutOfRange', `tensor ${q(name)}: value ${x} at index ${i} is not a ${dtype} integer`);
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
