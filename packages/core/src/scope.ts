import * as tf from '@tensorflow/tfjs-core';

/**
 * Run `fn` in a named tidy scope (as tfjs's `op()` does for its ops): intermediates are freed and the
 * name shows in tfjs's profiler. Use for every public tensor function.
 */
export function scoped<T extends tf.TensorContainer>(name: string, fn: () => T): T {
  return tf.tidy(name, fn);
}
