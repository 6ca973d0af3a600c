import * as tf from '@tensorflow/tfjs-core';
import { crossEntropy } from '@lel/core';
import { UNLABELLED } from './validate';

/**
 * Mean cross-entropy of logits `[B, K]` against integer labels `[B]` (`@lel/core`'s `crossEntropy`, torch
 * semantics) over the labelled rows: rows labelled {@link UNLABELLED} count in neither the sum nor the mean
 * (0 when every row is unlabelled). The callers check the labels (`checkLabels`).
 */
export function meanCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return crossEntropy(logits, labels, { ignoreIndex: UNLABELLED, validate: false }) as tf.Scalar;
}

/** Per-row `Σ_k p_k log p_k` with the `0·log 0 = 0` convention (entropy of targets, KL's constant part). */
export function negEntropyRows(p: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => {
    // max(p, 1e-30) instead of a select: 0·log(1e-30) = 0 exactly, and every op on the path has a
    // registered gradient (tfjs has none for comparison ops), so this can sit inside a gradient tape.
    return tf.sum(tf.mul(p, tf.log(tf.maximum(p, 1e-30))), -1) as tf.Tensor1D;
  });
}
