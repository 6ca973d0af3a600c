import * as tf from '@tensorflow/tfjs-core';

// WebGPU binds every input of a kernel as a storage buffer and devices allow few per shader stage (16 on lavapipe
// and most GPUs, one taken by the output): tfjs-webgpu's AddN of more inputs is a validation error (#21).
const MAX_INPUTS = 12;

/**
 * `tf.addN` of any number of same-shape tensors: a left fold in chunks, acc = addN([acc, next …]), so the sum is
 * taken in the same order (identical bits on cpu and wasm) and no kernel binds more inputs than a GPU allows.
 */
export function addMany(tensors: readonly tf.Tensor[]): tf.Tensor {
  if (tensors.length === 0) throw new Error('addMany: no tensors');
  return tf.tidy(() => {
    let acc = tensors.length === 1 ? tensors[0]! : tf.addN(tensors.slice(0, MAX_INPUTS) as tf.Tensor[]);
    for (let i = MAX_INPUTS; i < tensors.length; i += MAX_INPUTS - 1) acc = tf.addN([acc, ...tensors.slice(i, i + MAX_INPUTS - 1)]);
    return tensors.length === 1 ? tf.clone(acc) : acc;
  });
}
