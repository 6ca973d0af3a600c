import * as tf from '@tensorflow/tfjs-core';

/**
 * `x.detach()` / `tf.stop_gradient`: a new tensor sharing `x`'s data (no copy, the backend's reference
 * count is raised as tfjs's own reshape does) with no node on the gradient tape, so nothing upstream of
 * `x` receives gradient through it. tfjs-core has no public stop-gradient; `clone()` records an Identity
 * node and would let gradient through.
 */
export function stopGradient<T extends tf.Tensor>(x: T): T {
  const engine = tf.engine();
  const out = engine.makeTensorFromDataId(x.dataId, x.shape, x.dtype) as T;
  engine.backend.incRef(x.dataId);
  return out;
}
