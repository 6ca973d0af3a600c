import * as tf from '@tensorflow/tfjs-core';
import '../layers/register-gradients';
import { scoped } from '../scope';
import { assertFloatTensor, assertNoNaN } from './validate';

/** Result of {@link entropy}. */
export interface EntropyResult {
  /** Mean of `perPosition` (scalar). */
  loss: tf.Scalar;
  /** −Σ_c p_c·ln p_c at every position: logits' shape without the last axis. */
  perPosition: tf.Tensor;
}

/**
 * Shannon entropy (nats) of softmax(logits) over the last axis, computed stably as −Σ exp(l)·l with
 * l = log_softmax(logits), so saturated classes (p = 0) contribute 0 instead of NaN. Both tensors are new.
 */
export function entropy(logits: tf.Tensor): EntropyResult {
  const fn = 'entropy';
  assertFloatTensor(fn, 'logits', logits, 1);
  assertNoNaN(fn, 'logits', logits);
  return scoped(fn, () => {
    const l = tf.logSoftmax(logits);
    const perPosition = tf.neg(tf.sum(tf.mul(tf.exp(l), l), -1));
    return { loss: tf.mean(perPosition) as tf.Scalar, perPosition };
  });
}
