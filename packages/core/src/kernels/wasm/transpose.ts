import type * as tf from '@tensorflow/tfjs-core';
import { heapOffset, lelSimdFor } from '../simd/lel-simd';
import { forEachOuter, transposePlan, transposeValues } from '../transpose';
import type { Stock, WasmBackend } from './backend';

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
