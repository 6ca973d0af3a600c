import type * as tf from '@tensorflow/tfjs-core';

/**
 * What every loss of this package returns: the scalar to minimise and its named parts, so training
 * logs show how the hard-label and the teacher/regulariser terms move. `total` is the weighted
 * combination; `hard` and `soft` are the unweighted terms (each loss's TSDoc gives the formula).
 */
export interface DistillLossParts {
  total: tf.Scalar;
  /** Cross-entropy on the hard labels. */
  hard: tf.Scalar;
  /** The teacher (or regulariser) term, before its weight. */
  soft: tf.Scalar;
}
