import * as tf from '@tensorflow/tfjs-core';
import { heapOffset, lelSimdFor } from './simd/lel_simd';
import { forEachOuter, transposePlan, transposeValues } from './transpose';
import { makeWasmConcat, makeWasmGatherV2, makeWasmSplitV, makeWasmUnpack } from './wasm_copy_kernels';

/** The BackendWasm methods the overrides use (duck-typed: the wasm package is an optional peer). */
interface WasmBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
  disposeData(dataId: tf.DataId, force?: boolean): boolean;
}

type Stock = tf.KernelFunc;

/** A fresh wasm tensor holding `fill`'s output (views are taken after allocating: the heap may grow). */
function alloc(backend: WasmBackend, shape: number[], fill: (out: Float32Array) => void): tf.TensorInfo {
  const t = backend.makeOutput(shape, 'float32');
  fill(backend.typedArrayFromHeap(t) as Float32Array);
  return t;
}

/**
 * Whether LEL's SIMD GEMM beats XNNPACK for [m, k]·[k, n] (measured on this project's machines: 1.1–1.35×
 * for most shapes, 5× for attention-sized batches; XNNPACK wins for short and wide products whose
 * [k, n] operand is re-read from beyond L1 by every block of 4 rows). Both sum each output in k order
 * with separate float32 multiplies and adds: the results are bit-identical (tested).
 */
export function simdGemmPays(m: number, k: number, n: number): boolean {
  return n % 4 === 0 && (m >= 256 || k * n <= 262144);
}

/**
 * wasm BatchMatMul. Stock tfjs-wasm reaches 40–45 GFLOP/s only for flag-free matMuls with one batch
 * (XNNPACK, which also packs the right operand on every call); with a transpose flag, or with several
 * batches (attention), it falls back to loops at 0.5–3 GFLOP/s. Here: transposed operands are transposed
 * explicitly (SIMD), a batched `a` against a shared `b` becomes one tall product, and products run in
 * LEL's SIMD GEMM ({@link simdGemmPays}: 50–60 GFLOP/s) or else XNNPACK (one call per batch).
 */
export function makeWasmBatchMatMul(stock: Stock): Stock {
  return (args) => {
    const { inputs, attrs } = args;
    const backend = args.backend as unknown as WasmBackend;
    let { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const { transposeA, transposeB } = attrs as unknown as tf.BatchMatMulAttrs;
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return stock(args);
    const batchA = a.shape.slice(0, -2);
    const batchB = b.shape.slice(0, -2);
    const nA = batchA.reduce((p, q) => p * q, 1);
    const nB = batchB.reduce((p, q) => p * q, 1);
    // General broadcasting (both batched, different shapes) is rare: leave it to tfjs.
    if (nA > 1 && nB > 1 && !tf.util.arraysEqual(batchA, batchB)) return stock(args);
    const simd = lelSimdFor(backend);
    const mOut = a.shape[a.shape.length - (transposeA ? 1 : 2)]!;
    const kIn = a.shape[a.shape.length - (transposeA ? 2 : 1)]!;
    const nOut = b.shape[b.shape.length - (transposeB ? 2 : 1)]!;
    const useSimd = simd !== undefined && simdGemmPays(nB <= 1 ? nA * mOut : mOut, kIn, nOut);
    if (!useSimd && !transposeA && !transposeB && nA <= 1 && nB <= 1) return stock(args);
    const temps: tf.TensorInfo[] = [];
    const plain = (t: tf.TensorInfo, transposed: boolean): tf.TensorInfo => {
      if (!transposed) return t;
      const r = t.shape.length;
      const perm = [...Array(r).keys()];
      perm[r - 2] = r - 1;
      perm[r - 1] = r - 2;
      const out = backend.makeOutput(perm.map((p) => t.shape[p]!), 'float32');
      temps.push(out);
      if (simd) {
        const rows = t.shape[r - 2]!;
        const cols = t.shape[r - 1]!;
        const items = t.shape.slice(0, -2).reduce((p, q) => p * q, 1);
        const src = heapOffset(backend, t.dataId);
        const dst = heapOffset(backend, out.dataId);
        for (let i = 0; i < items; i++) simd.transpose2d(src + i * rows * cols * 4, rows, cols, cols, dst + i * rows * cols * 4, rows);
      } else {
        transposeValues(backend.typedArrayFromHeap(t), t.shape, perm, backend.typedArrayFromHeap(out) as Float32Array);
      }
      return out;
    };
    try {
      a = plain(a, transposeA);
      b = plain(b, transposeB);
      const m = mOut;
      const k = kIn;
      const n = nOut;
      const outShape = [...(nA >= nB ? batchA : batchB), m, n];
      if (useSimd && (nB <= 1 || nA === nB)) {
        // A shared `b`: one [nA·m, k]·[k, n] product; equal batches: nB products in one call.
        const out = backend.makeOutput(outShape, 'float32');
        const items = nB <= 1 ? 1 : nB;
        const rows = nB <= 1 ? nA * m : m;
        simd!.gemm_batched(heapOffset(backend, a.dataId), heapOffset(backend, b.dataId), heapOffset(backend, out.dataId), items, rows, k, n);
        return out;
      }
      const noFlags = { transposeA: false, transposeB: false } as unknown as tf.NamedAttrMap;
      const call = (x: tf.TensorInfo, y: tf.TensorInfo) => stock({ inputs: { a: x, b: y }, backend: args.backend, attrs: noFlags }) as tf.TensorInfo;
      if (nB <= 1) {
        // [batch…, m, k] · [k, n] is one [batch·m, k] · [k, n] matMul.
        const r = call({ ...a, shape: [nA * m, k] }, { ...b, shape: [k, n] });
        return { ...r, shape: outShape };
      }
      const out = backend.makeOutput(outShape, 'float32');
      for (let i = 0; i < nB; i++) {
        const ai = nA <= 1 ? { ...a, shape: [m, k] } : alloc(backend, [m, k], (v) => v.set((backend.typedArrayFromHeap(a) as Float32Array).subarray(i * m * k, (i + 1) * m * k)));
        const bi = alloc(backend, [k, n], (v) => v.set((backend.typedArrayFromHeap(b) as Float32Array).subarray(i * k * n, (i + 1) * k * n)));
        const r = call(ai, bi);
        (backend.typedArrayFromHeap(out) as Float32Array).set(backend.typedArrayFromHeap(r) as Float32Array, i * m * n);
        backend.disposeData(r.dataId);
        backend.disposeData(bi.dataId);
        if (nA > 1) backend.disposeData(ai.dataId);
      }
      return out;
    } finally {
      for (const t of temps) backend.disposeData(t.dataId);
    }
  };
}

/**
 * wasm Transpose. With LEL's SIMD module (float32/int32): the permutation is reduced to a batched 2-D
 * form ({@link transposePlan}); a swap of the two innermost merged axes runs as 4×4 register transposes,
 * a permutation that keeps the innermost axis as contiguous row copies. Without it: tiled JavaScript for
 * 2-D inputs of ≥ 16k elements and rank ≥ 5, where tfjs-wasm's kernel is 5–30× slower (7 ms for 1024×512,
 * 22–38 ms for the rank-5 attention split). tfjs's own kernel otherwise. Exact: values are only moved.
 */
export function makeWasmTranspose(stock: Stock): Stock {
  return (args) => {
    const x = (args.inputs as { x: tf.TensorInfo }).x;
    const { perm } = args.attrs as unknown as { perm: number[] };
    const size = x.shape.reduce((p, q) => p * q, 1);
    const rank = x.shape.length;
    const backend = args.backend as unknown as WasmBackend;
    const simd = lelSimdFor(backend);
    if (simd && (x.dtype === 'float32' || x.dtype === 'int32') && size > 0) {
      const plan = transposePlan(x.shape, perm);
      if (plan.sRow === 1 || plan.sCol === 1) {
        const out = backend.makeOutput(perm.map((p) => x.shape[p]!), x.dtype);
        const xOff = heapOffset(backend, x.dataId);
        const outOff = heapOffset(backend, out.dataId);
        const { rows, cols, sRow, sCol } = plan;
        forEachOuter(plan, (base, o) => {
          if (sCol === 1) simd.strided_copy(xOff + base * 4, outOff + o * 4, rows, cols * 4, sRow * 4, cols * 4);
          else simd.transpose2d(xOff + base * 4, cols, rows, sCol, outOff + o * 4, cols);
        });
        return out;
      }
    }
    if (x.dtype !== 'float32' || !((rank === 2 && size >= 16384) || rank >= 5)) return stock(args);
    const out = backend.makeOutput(perm.map((p) => x.shape[p]!), 'float32');
    transposeValues(backend.typedArrayFromHeap(x), x.shape, perm, backend.typedArrayFromHeap(out) as Float32Array);
    return out;
  };
}

/**
 * wasm Sum/Mean over leading axes (bias gradients, BatchNorm statistics and their gradients): tfjs-wasm
 * reduces only innermost axes, so it first transposes with its slow generic transpose (≈30 ms for a
 * 1024×512 bias gradient). Here rows are accumulated in order into a float32 output, the same additions in
 * the same order as the transposed innermost reduction. Other reductions use tfjs's kernel.
 */
export function makeWasmLeadingReduce(stock: Stock, mean: boolean): Stock {
  return (args) => {
    const x = (args.inputs as { x: tf.TensorInfo }).x;
    const { axis, keepDims } = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
    const rank = x.shape.length;
    const axes = [...new Set((Array.isArray(axis) ? axis : [axis]).map((a) => (a < 0 ? a + rank : a)))].sort((a, b) => a - b);
    const leading = axes.length > 0 && axes.length < rank && axes.every((a, i) => a === i);
    if (x.dtype !== 'float32' || !leading) return stock(args);
    const outer = x.shape.slice(0, axes.length).reduce((a, b) => a * b, 1);
    const innerShape = x.shape.slice(axes.length);
    const inner = innerShape.reduce((a, b) => a * b, 1);
    if (outer === 0 || inner === 0) return stock(args);
    const backend = args.backend as unknown as WasmBackend;
    const outShape = keepDims ? [...axes.map(() => 1), ...innerShape] : innerShape;
    const out = backend.makeOutput(outShape, 'float32');
    const simd = lelSimdFor(backend);
    if (simd) {
      // The same float32 row-by-row additions, four or sixteen columns at a time.
      simd.colsum(heapOffset(backend, x.dataId), outer, inner, heapOffset(backend, out.dataId));
      if (mean) {
        const o = backend.typedArrayFromHeap(out) as Float32Array;
        for (let j = 0; j < inner; j++) o[j]! /= outer;
      }
      return out;
    }
    const o = backend.typedArrayFromHeap(out) as Float32Array;
    const xv = backend.typedArrayFromHeap(x) as Float32Array;
    o.set(xv.subarray(0, inner));
    for (let i = 1; i < outer; i++) {
      const base = i * inner;
      for (let j = 0; j < inner; j++) o[j]! += xv[base + j]!;
    }
    if (mean) for (let j = 0; j < inner; j++) o[j]! /= outer;
    return out;
  };
}

/**
 * wasm Identity (tf.clone, and the engine's copy of every tensor a gradient saves for the backward pass)
 * shares the data with a reference count instead of copying it, as tfjs-cpu and tfjs-webgl do: tfjs-wasm
 * copies, ~150 copies per transformer training step. Kernels never write their inputs, so sharing is safe.
 */
export function makeWasmIdentity(stock: Stock): Stock {
  return (args) => {
    const x = (args.inputs as { x: tf.TensorInfo }).x;
    const backend = args.backend as unknown as { incRef?: (dataId: tf.DataId) => void };
    if (typeof backend.incRef !== 'function' || x.dtype === 'string' || x.dtype === 'complex64') return stock(args);
    backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
}

/**
 * wasm FusedBatchNorm (the forward of tf.batchNorm) with per-channel mean, variance, scale and offset: the
 * same operations per element as tfjs-wasm's scalar loop (float32 (x − mean)·scale, then a float64 divide
 * by sqrtf(variance + ε) and add of the offset, rounded once), four channels at a time in LEL's SIMD
 * module: bit-identical (tested), ~4× faster. Other layouts use tfjs's kernel.
 */
export function makeWasmFusedBatchNorm(stock: Stock): Stock {
  return (args) => {
    const { x, mean, variance, offset, scale } = args.inputs as Record<string, tf.TensorInfo | undefined>;
    const eps = (args.attrs as unknown as { varianceEpsilon: number }).varianceEpsilon;
    const backend = args.backend as unknown as WasmBackend;
    const simd = lelSimdFor(backend);
    if (!simd || !x || !mean || !variance || !offset || !scale || x.shape.length === 0) return stock(args);
    const c = x.shape[x.shape.length - 1]!;
    const params = [mean, variance, offset, scale];
    if (x.dtype !== 'float32' || params.some((t) => t.dtype !== 'float32' || t.shape.reduce((p, q) => p * q, 1) !== c)) return stock(args);
    const rows = x.shape.reduce((p, q) => p * q, 1) / c;
    const out = backend.makeOutput(x.shape, 'float32');
    const denom = backend.makeOutput([c], 'float32');
    try {
      const d = backend.typedArrayFromHeap(denom) as Float32Array;
      const v = backend.typedArrayFromHeap(variance) as Float32Array;
      // sqrtf(variance + ε) in float32, as the scalar loop computes it for every element.
      const e = Math.fround(eps);
      for (let j = 0; j < c; j++) d[j] = Math.sqrt(Math.fround(v[j]! + e));
      if (rows > 0) {
        const off = (t: tf.TensorInfo) => heapOffset(backend, t.dataId);
        simd.batch_norm(off(x), rows, c, off(mean), off(scale), off(denom), off(offset), off(out));
      }
    } finally {
      backend.disposeData(denom.dataId);
    }
    return out;
  };
}

/**
 * wasm Conv2D (NHWC, stride 1, no dilation, ≥ 16 input channels, output channels a multiple of 4) as LEL's
 * SIMD direct convolution over a zero-padded copy of the input: 1.15–1.3× XNNPACK here (no indirection
 * buffer or weight packing per call) and bit-identical to it (both sum over kernel rows, columns, then input
 * channels in float32; tested). Other convolutions (the first layer's 3 channels, strides) use XNNPACK.
 */
export function makeWasmConv2D(stock: Stock): Stock {
  return (args) => {
    const { x, filter } = args.inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
    const a = args.attrs as unknown as tf.Conv2DAttrs;
    const backend = args.backend as unknown as WasmBackend;
    const simd = lelSimdFor(backend);
    if (!simd || x.dtype !== 'float32' || filter.dtype !== 'float32' || a.dataFormat === 'NCHW' || x.shape.length !== 4) return stock(args);
    const [kh, kw, ci, co] = filter.shape as [number, number, number, number];
    if (ci < 16 || co % 4 !== 0 || kh * kw < 2) return stock(args);
    const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filter.shape as [number, number, number, number], a.strides, a.dilations ?? 1, a.pad, a.dimRoundingMode);
    if (info.strideHeight !== 1 || info.strideWidth !== 1 || info.dilationHeight !== 1 || info.dilationWidth !== 1) return stock(args);
    const [n, h, w] = x.shape as [number, number, number, number];
    const { top, bottom, left, right } = info.padInfo;
    if (top < 0 || bottom < 0 || left < 0 || right < 0) return stock(args);
    const hp = h + top + bottom;
    const wp = w + left + right;
    if (hp - kh + 1 !== info.outHeight || wp - kw + 1 !== info.outWidth) return stock(args);
    const out = backend.makeOutput([n, info.outHeight, info.outWidth, co], 'float32');
    let padded: tf.TensorInfo | undefined;
    try {
      let xp = heapOffset(backend, x.dataId);
      if (top + bottom + left + right > 0) {
        padded = backend.makeOutput([n, hp, wp, ci], 'float32');
        (backend.typedArrayFromHeap(padded) as Float32Array).fill(0);
        const dst = heapOffset(backend, padded.dataId);
        for (let b = 0; b < n; b++) {
          simd.strided_copy(xp + b * h * w * ci * 4, dst + ((b * hp + top) * wp + left) * ci * 4, h, w * ci * 4, w * ci * 4, wp * ci * 4);
        }
        xp = dst;
      }
      simd.conv2d_s1(xp, n, hp, wp, ci, heapOffset(backend, filter.dataId), kh, kw, co, heapOffset(backend, out.dataId), info.outHeight, info.outWidth);
    } finally {
      if (padded) backend.disposeData(padded.dataId);
    }
    return out;
  };
}

interface Override {
  kernelName: string;
  backendName: string;
  make: (stock: Stock) => Stock;
}

const OVERRIDES: Override[] = [
  { kernelName: tf.BatchMatMul, backendName: 'wasm', make: makeWasmBatchMatMul },
  { kernelName: tf.Transpose, backendName: 'wasm', make: makeWasmTranspose },
  { kernelName: tf.Sum, backendName: 'wasm', make: (s) => makeWasmLeadingReduce(s, false) },
  { kernelName: tf.Mean, backendName: 'wasm', make: (s) => makeWasmLeadingReduce(s, true) },
  { kernelName: tf.SplitV, backendName: 'wasm', make: makeWasmSplitV },
  { kernelName: tf.Unpack, backendName: 'wasm', make: makeWasmUnpack },
  { kernelName: tf.Concat, backendName: 'wasm', make: makeWasmConcat },
  { kernelName: tf.Identity, backendName: 'wasm', make: makeWasmIdentity },
  { kernelName: tf.GatherV2, backendName: 'wasm', make: makeWasmGatherV2 },
  { kernelName: tf.FusedBatchNorm, backendName: 'wasm', make: makeWasmFusedBatchNorm },
  { kernelName: tf.Conv2D, backendName: 'wasm', make: makeWasmConv2D },
];
const installed = new Set<tf.KernelFunc>();
const stockOf = new Map<tf.KernelFunc, tf.KernelConfig>();

/**
 * Wrap the stock wasm BatchMatMul, Transpose, Sum, Mean, SplitV, Unpack, Concat, Identity, GatherV2, FusedBatchNorm and Conv2D kernels (see
 * above and wasm_copy_kernels.ts). A backend registers its kernels when
 * its package is imported, which may happen after `@lel/core` loads, so this is re-run cheaply by
 * {@link registerLelKernels} and by LEL's gradients; it does nothing until the wasm kernels exist, and
 * never wraps twice. Returns how many kernels it wrapped now.
 */
export function applyWasmOverrides(): number {
  let n = 0;
  for (const o of OVERRIDES) {
    const cur = tf.getKernel(o.kernelName, o.backendName);
    if (!cur || installed.has(cur.kernelFunc)) continue;
    const wrapped = o.make(cur.kernelFunc);
    installed.add(wrapped);
    stockOf.set(wrapped, cur);
    tf.unregisterKernel(o.kernelName, o.backendName);
    tf.registerKernel({ ...cur, kernelFunc: wrapped });
    n++;
  }
  return n;
}

/** @internal Benchmarks only: put tfjs's own wasm kernels back (until the next {@link applyWasmOverrides}). */
export function removeWasmOverrides(): void {
  for (const o of OVERRIDES) {
    const cur = tf.getKernel(o.kernelName, o.backendName);
    const stock = cur && stockOf.get(cur.kernelFunc);
    if (!stock) continue;
    tf.unregisterKernel(o.kernelName, o.backendName);
    tf.registerKernel(stock);
  }
}
