import type * as tf from '@tensorflow/tfjs-core';
import type { Stock } from './backend';

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
