import type * as tf from '@tensorflow/tfjs-core';
import { heapOffset, lelSimdFor } from '../simd/lel-simd';
import type { Stock, WasmBackend } from './backend';

/**
 * wasm Sum/Mean over leading axes (bias gradients, BatchNorm statistics and their gradients): tfjs-wasm
 * reduces only innermost axes, so it first transposes with its slow generic transpose (≈30 ms for a
 * 1024×512 bias gradient). Here rows are accumulated in order into a float32 output, the same additions in
 * the same order as the transposed innermost reduction. Other reductions use tfjs's kernel.
 */
/** Rows per block of the cascaded sum (see below). */
const BLOCK = 64;

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
      // Float32 row-by-row additions, four or sixteen columns at a time, cascaded: blocks of BLOCK rows are summed
      // into partial rows, then the partial rows are summed. A plain sequential float32 sum over N rows has an
      // error growing like N·ε (BatchNorm statistics and bias gradients sum N·H·W rows: 16k at batch 16, 32 × 32),
      // which made wasm gradients drift from PyTorch's (trajectory tests); the cascade bounds it by (BLOCK + N/BLOCK)·ε.
      const xOff = heapOffset(backend, x.dataId);
      if (outer <= 2 * BLOCK) simd.colsum(xOff, outer, inner, heapOffset(backend, out.dataId));
      else {
        const blocks = Math.ceil(outer / BLOCK);
        const partial = backend.makeOutput([blocks, inner], 'float32');
        const pOff = heapOffset(backend, partial.dataId);
        for (let b = 0; b < blocks; b++) simd.colsum(xOff + b * BLOCK * inner * 4, Math.min(BLOCK, outer - b * BLOCK), inner, pOff + b * inner * 4);
        simd.colsum(pOff, blocks, inner, heapOffset(backend, out.dataId));
        backend.disposeData(partial.dataId);
      }
      if (mean) {
        const o = backend.typedArrayFromHeap(out) as Float32Array;
        for (let j = 0; j < inner; j++) o[j]! /= outer;
      }
      return out;
    }
    const o = backend.typedArrayFromHeap(out) as Float32Array;
    const xv = backend.typedArrayFromHeap(x) as Float32Array;
    // The same cascade as the SIMD path, in float32 (Math.fround keeps JavaScript's doubles out of it).
    const part = new Float32Array(inner);
    o.fill(0);
    for (let b = 0; b < outer; b += BLOCK) {
      part.set(xv.subarray(b * inner, (b + 1) * inner));
      for (let i = b + 1; i < Math.min(outer, b + BLOCK); i++) {
        const base = i * inner;
        for (let j = 0; j < inner; j++) part[j] = Math.fround(part[j]! + xv[base + j]!);
      }
      for (let j = 0; j < inner; j++) o[j] = Math.fround(o[j]! + part[j]!);
    }
    if (mean) for (let j = 0; j < inner; j++) o[j]! /= outer;
    return out;
  };
}
