import * as tf from '@tensorflow/tfjs-core';
import { crossEntropy, entropy, scoped } from '@lel/core';

/** The loss of @lel/entropy-min, by named part. */
export type EntropyMinLoss = {
  total: tf.Scalar;
  /** Cross-entropy on the labelled batch. */
  sup: tf.Scalar;
  /** Mean prediction entropy on the unlabelled batch. */
  unsup: tf.Scalar;
};

/**
 * Entropy minimisation (Grandvalet & Bengio, NeurIPS 2004): total = CE(labelled) + weight · H(p(unlabelled)),
 * which pushes the decision boundary away from dense unlabelled regions.
 */
export function entropyMinLoss(logitsLabeled: tf.Tensor, labels: tf.Tensor, logitsUnlabeled: tf.Tensor, weight: number): EntropyMinLoss {
  if (!(weight >= 0)) throw new Error(`entropyMinLoss: weight must be >= 0, got ${weight}`);
  const c = logitsLabeled.shape[logitsLabeled.rank - 1];
  if (logitsUnlabeled.shape[logitsUnlabeled.rank - 1] !== c) {
    throw new Error(`entropyMinLoss: logitsUnlabeled has ${logitsUnlabeled.shape[logitsUnlabeled.rank - 1]} classes, logitsLabeled has ${c}`);
  }
  return scoped('entropyMinLoss', () => {
    const sup = crossEntropy(logitsLabeled, labels) as tf.Scalar;
    const { loss: unsup, perPosition } = entropy(logitsUnlabeled);
    perPosition.dispose();
    const total = tf.add(sup, tf.mul(unsup, weight)) as tf.Scalar;
    return { total, sup, unsup: unsup as tf.Scalar };
  });
}
