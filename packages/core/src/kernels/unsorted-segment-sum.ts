import * as tf from '@tensorflow/tfjs-core';
import { runJsKernel } from './js-kernel';

/**
 * out[s, …] = Σ_{i : ids[i] = s} x[i, …]; ids outside [0, numSegments) are dropped (TensorFlow's rule).
 * `ids` index the leading `ids.length` elements of x's flattened leading axes; `inner` is the size of the rest.
 */
export function unsortedSegmentSumValues(
  x: ArrayLike<number>,
  ids: ArrayLike<number>,
  inner: number,
  numSegments: number,
  out: Float32Array | Int32Array,
): void {
  for (let i = 0; i < ids.length; i++) {
    const s = ids[i]!;
    if (s < 0 || s >= numSegments) continue;
    const src = i * inner;
    const dst = s * inner;
    for (let k = 0; k < inner; k++) out[dst + k]! += x[src + k]!;
  }
}

const kernelFunc: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
  const { numSegments } = attrs as unknown as tf.UnsortedSegmentSumAttrs;
  const idRank = segmentIds.shape.length;
  const inner = x.shape.slice(idRank).reduce((a, b) => a * b, 1);
  const outShape = [numSegments, ...x.shape.slice(idRank)];
  const dtype = x.dtype === 'int32' ? 'int32' : 'float32';
  return runJsKernel(backend, [x, segmentIds], outShape, dtype, (out, xv, idv) => unsortedSegmentSumValues(xv, idv, inner, numSegments, out));
};

/** wasm lacks UnsortedSegmentSum, the gradient of tf.gather (embeddings): a JavaScript kernel. */
export const unsortedSegmentSumWasmConfig: tf.KernelConfig = {
  kernelName: tf.UnsortedSegmentSum,
  backendName: 'wasm',
  kernelFunc,
};
