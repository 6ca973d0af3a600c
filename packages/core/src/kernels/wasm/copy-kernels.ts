// wasm SplitV, Concat, Unpack and GatherV2 as strided block copies (LEL's SIMD module, memory.copy per run).
// tfjs-wasm implements them element by element through Slice, ~10 ms for the channel split of a
// 16×32×32×128 skip-connection gradient; here the same values are moved run by run.
import type * as tf from '@tensorflow/tfjs-core';
import { heapOffset, lelSimdFor } from '../simd/lel-simd';
import type { Stock, WasmBackend } from './backend';


const prod = (xs: readonly number[]) => xs.reduce((a, b) => a * b, 1);
const normAxis = (axis: number, rank: number) => (axis < 0 ? axis + rank : axis);
/** 4-byte dtypes only: the runs are counted in 4-byte elements. */
const copyable = (dtype: tf.DataType) => dtype === 'float32' || dtype === 'int32';

/** Split sizes of SplitV's `numOrSizeSplits` (a count, or sizes with at most one -1). */
export function splitSizes(dim: number, numOrSizeSplits: number | number[]): number[] {
  if (typeof numOrSizeSplits === 'number') {
    if (dim % numOrSizeSplits !== 0) throw new Error(`SplitV: ${dim} is not divisible by ${numOrSizeSplits}`);
    return new Array<number>(numOrSizeSplits).fill(dim / numOrSizeSplits);
  }
  const free = numOrSizeSplits.indexOf(-1);
  if (free < 0) return numOrSizeSplits;
  const known = numOrSizeSplits.reduce((a, s) => (s === -1 ? a : a + s), 0);
  return numOrSizeSplits.map((s) => (s === -1 ? dim - known : s));
}

/** Copy x's slab [begin, begin + size) along `axis` into a new tensor (runs of size·inner elements). */
function slab(backend: WasmBackend & object, x: tf.TensorInfo, axis: number, begin: number, size: number): tf.TensorInfo {
  const simd = lelSimdFor(backend)!;
  const shape = [...x.shape];
  shape[axis] = size;
  const out = backend.makeOutput(shape, x.dtype);
  const inner = prod(x.shape.slice(axis + 1));
  const runs = prod(x.shape.slice(0, axis));
  if (size * inner * runs > 0) {
    simd.strided_copy(heapOffset(backend, x.dataId) + begin * inner * 4, heapOffset(backend, out.dataId), runs, size * inner * 4, x.shape[axis]! * inner * 4, size * inner * 4);
  }
  return out;
}

/** wasm SplitV by block copies (any axis; float32/int32), else tfjs's kernel. */
export function makeWasmSplitV(stock: Stock): Stock {
  return (args) => {
    const x = (args.inputs as { x: tf.TensorInfo }).x;
    const backend = args.backend as unknown as WasmBackend & object;
    const { numOrSizeSplits, axis } = args.attrs as unknown as { numOrSizeSplits: number | number[]; axis: number };
    if (!copyable(x.dtype) || !lelSimdFor(backend)) return stock(args);
    const a = normAxis(axis, x.shape.length);
    const sizes = splitSizes(x.shape[a]!, numOrSizeSplits);
    let begin = 0;
    return sizes.map((s) => {
      const t = slab(backend, x, a, begin, s);
      begin += s;
      return t;
    });
  };
}

/** wasm Unpack (unstack) by block copies (any axis; float32/int32), else tfjs's kernel. */
export function makeWasmUnpack(stock: Stock): Stock {
  return (args) => {
    const value = (args.inputs as { value: tf.TensorInfo }).value;
    const backend = args.backend as unknown as WasmBackend & object;
    if (!copyable(value.dtype) || !lelSimdFor(backend)) return stock(args);
    const a = normAxis((args.attrs as unknown as { axis: number }).axis, value.shape.length);
    const outShape = value.shape.filter((_, i) => i !== a);
    return Array.from({ length: value.shape[a]! }, (_, k) => {
      const t = slab(backend, value, a, k, 1);
      return { ...t, shape: outShape };
    });
  };
}

/** wasm Concat by block copies (any axis; float32/int32 inputs of one dtype), else tfjs's kernel. */
export function makeWasmConcat(stock: Stock): Stock {
  return (args) => {
    const inputs = args.inputs as unknown as tf.TensorInfo[];
    const backend = args.backend as unknown as WasmBackend & object;
    const simd = lelSimdFor(backend);
    const first = inputs[0];
    if (!simd || !first || !copyable(first.dtype) || inputs.some((t) => t.dtype !== first.dtype || t.shape.length !== first.shape.length)) return stock(args);
    const rank = first.shape.length;
    if (rank === 0) return stock(args);
    const a = normAxis((args.attrs as unknown as { axis: number }).axis, rank);
    const outShape = [...first.shape];
    outShape[a] = inputs.reduce((s, t) => s + t.shape[a]!, 0);
    const out = backend.makeOutput(outShape, first.dtype);
    const inner = prod(first.shape.slice(a + 1));
    const runs = prod(first.shape.slice(0, a));
    const outOff = heapOffset(backend, out.dataId);
    let at = 0;
    for (const t of inputs) {
      const bytes = t.shape[a]! * inner * 4;
      if (bytes > 0 && runs > 0) simd.strided_copy(heapOffset(backend, t.dataId), outOff + at * inner * 4, runs, bytes, bytes, outShape[a]! * inner * 4);
      at += t.shape[a]!;
    }
    return out;
  };
}

/**
 * wasm GatherV2 without batch dims (embedding lookups, row selection) as one block copy per index:
 * tfjs-wasm gathers element by element (3 ms for 1024 rows of 128). Out-of-range indices are an error
 * naming the index, as on tfjs-cpu (tfjs-wasm reads arbitrary memory there).
 */
export function makeWasmGatherV2(stock: Stock): Stock {
  return (args) => {
    const { x, indices } = args.inputs as { x: tf.TensorInfo; indices: tf.TensorInfo };
    const { axis, batchDims } = args.attrs as unknown as { axis: number; batchDims: number };
    const backend = args.backend as unknown as WasmBackend & object;
    const simd = lelSimdFor(backend);
    if (!simd || !copyable(x.dtype) || indices.dtype !== 'int32' || (batchDims ?? 0) !== 0) return stock(args);
    const a = normAxis(axis, x.shape.length);
    const dim = x.shape[a]!;
    const outer = prod(x.shape.slice(0, a));
    const inner = prod(x.shape.slice(a + 1));
    // Validate before allocating (nothing to free on error); the view is re-taken after allocating,
    // which may grow the heap.
    let idx = backend.typedArrayFromHeap(indices) as Int32Array;
    const n = idx.length;
    for (let k = 0; k < n; k++) {
      const i = idx[k]!;
      if (i < 0 || i >= dim) throw new Error(`GatherV2: the index value ${i} is not in [0, ${dim - 1}]`);
    }
    const out = backend.makeOutput([...x.shape.slice(0, a), ...indices.shape, ...x.shape.slice(a + 1)], x.dtype);
    idx = backend.typedArrayFromHeap(indices) as Int32Array;
    if (inner === 0 || outer === 0 || n === 0) return out;
    const xOff = heapOffset(backend, x.dataId);
    const outOff = heapOffset(backend, out.dataId);
    const row = inner * 4;
    for (let o = 0; o < outer; o++) {
      for (let k = 0; k < n; k++) simd.strided_copy(xOff + (o * dim + idx[k]!) * row, outOff + (o * n + k) * row, 1, row, 0, 0);
    }
    return out;
  };
}
