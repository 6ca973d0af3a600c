// What LEL's wasm kernel wrappers use of BackendWasm, and small helpers shared by them.
import type * as tf from '@tensorflow/tfjs-core';

/** The BackendWasm methods the overrides use (duck-typed: the wasm package is an optional peer). */
export interface WasmBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
  disposeData(dataId: tf.DataId, force?: boolean): boolean;
}

/** A kernel function as registered in tfjs (the stock one being wrapped). */
export type Stock = tf.KernelFunc;

/** A fresh wasm tensor holding `fill`'s output (views are taken after allocating: the heap may grow). */
export function alloc(backend: WasmBackend, shape: number[], fill: (out: Float32Array) => void): tf.TensorInfo {
  const t = backend.makeOutput(shape, 'float32');
  fill(backend.typedArrayFromHeap(t) as Float32Array);
  return t;
}
