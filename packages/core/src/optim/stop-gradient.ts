import * as tf from '@tensorflow/tfjs-core';

/**
 * PyTorch's `x.detach()` / TensorFlow's `tf.stop_gradient`: a new tensor with `x`'s value and no node on the
 * gradient tape, so nothing upstream of `x` receives gradient through it (a consistency target, a teacher's
 * logits). tfjs-core has no public stop-gradient, so it is written here once: the result shares `x`'s data (no
 * copy; the backend's reference count is raised as tfjs's own reshape kernels do) and is tracked by the current
 * scope like any other tensor. Unlike a `customGrad` returning zeros, no backward pass runs through the detached
 * branch, and unlike `clone()` (an Identity node) no gradient leaks through it.
 */
export function stopGradient<T extends tf.Tensor>(x: T): T {
  const engine = tf.engine();
  const out = engine.makeTensorFromDataId(x.dataId, x.shape, x.dtype) as T;
  engine.backend.incRef(x.dataId);
  return out;
}
