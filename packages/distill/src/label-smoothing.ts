import * as tf from '@tensorflow/tfjs-core';
import { scoped } from '@lel/core';
import type { DistillLossParts } from './types';
import { checkLabels, checkLogits, checkRange } from './validate';
import { meanCrossEntropy } from './cross-entropy';

/**
 * Label-smoothed cross-entropy (Szegedy et al. 2016, §7), as torch's
 * `cross_entropy(label_smoothing = ε)`: targets `q = (1 − ε)·onehot(y) + ε/K`,
 * `total = mean_b −Σ_k q_k log softmax(z)_k = (1 − ε)·hard + ε·soft`, with `hard` the plain CE and
 * `soft = mean_b −(1/K) Σ_k log softmax(z)_k` (CE against the uniform distribution).
 */
export function labelSmoothingCrossEntropy(logits: tf.Tensor, labels: tf.Tensor, options: { epsilon?: number } = {}): DistillLossParts {
  const eps = options.epsilon ?? 0.1;
  checkRange('labelSmoothingCrossEntropy: epsilon', eps, 0, 1);
  checkLogits('logits', logits);
  // A regulariser of the labelled loss: every row needs its label.
  checkLabels(labels, logits.shape[0], logits.shape[1], { unlabelled: false });
  return scoped('labelSmoothingCrossEntropy', () => {
    const hard = meanCrossEntropy(logits, labels as tf.Tensor1D);
    const soft = tf.neg(tf.mean(tf.logSoftmax(logits))) as tf.Scalar;
    const total = tf.add(tf.mul(hard, 1 - eps), tf.mul(soft, eps)) as tf.Scalar;
    return { total, hard, soft };
  });
}
