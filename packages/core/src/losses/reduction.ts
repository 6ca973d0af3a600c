import * as tf from '@tensorflow/tfjs-core';

/** How a loss reduces its per-element values: mean, sum, or none (same shape as the per-element loss). */
export type Reduction = 'mean' | 'sum' | 'none';

/** @internal Apply a {@link Reduction}; throws naming `fn` on an unknown one. */
export function reduce(fn: string, x: tf.Tensor, reduction: string): tf.Tensor {
  switch (reduction) {
    case 'mean':
      return tf.mean(x);
    case 'sum':
      return tf.sum(x);
    case 'none':
      return x;
    default:
      throw new Error(`${fn}: reduction must be 'mean', 'sum' or 'none', got ${JSON.stringify(reduction)}`);
  }
}
