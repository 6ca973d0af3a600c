import type * as tf from '@tensorflow/tfjs-core';
import { heapOffset, lelSimdFor } from '../simd/lel-simd';
import type { Stock, WasmBackend } from './backend';

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
