import * as tf from '@tensorflow/tfjs-core';
import { backendValues } from '../kernels/js-kernel';

/**
 * The float32 values of `t` without a copy where the backend allows it (a view of the wasm heap, or
 * tfjs-cpu's own array), else an asynchronous read (a copy). Use it before the next tfjs allocation: a heap
 * view detaches when the wasm memory grows. Used on the data-parallel hot path, where a copy per gradient per
 * step also means megabytes of short-lived ArrayBuffers for the garbage collector.
 */
export async function float32View(t: tf.Tensor): Promise<Float32Array> {
  const values = t.dtype === 'float32' ? backendValues(tf.backend(), t) : undefined;
  if (values instanceof Float32Array && values.length === t.size) return values;
  return Float32Array.from((await t.data()) as ArrayLike<number>);
}
