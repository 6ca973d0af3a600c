import * as tf from '@tensorflow/tfjs-core';
import { heapOffset, lelSimdFor } from '../simd/lel-simd';
import { transposeValues } from '../transpose';
import { alloc, type Stock, type WasmBackend } from './backend';

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
