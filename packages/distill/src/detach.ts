import * as tf from '@tensorflow/tfjs-core';

// tfjs-core has no stopGradient op; a custom gradient that returns zeros gives the same semantics
// (the value passes through, nothing flows back), so a teacher evaluated inside a gradient tape can
// never be updated through the distillation loss.
const stop = tf.customGrad((...inputs: (tf.Tensor | tf.GradSaveFunc)[]) => ({
  value: tf.clone(inputs[0] as tf.Tensor),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
}));

/**
 * The value of `x` as a constant for automatic differentiation (PyTorch's `x.detach()`): the teacher
 * side of every distillation loss goes through it.
 */
export function detach<T extends tf.Tensor>(x: T): T {
  return stop(x) as T;
}
