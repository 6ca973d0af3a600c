import * as tf from '@tensorflow/tfjs-core';
import { scoped, stopGradient as detach } from '@lel/core';
import type { DistillLossParts } from './types';
import { checkLabels, checkLogits, checkPair, checkRange } from './validate';
import { meanCrossEntropy } from './cross-entropy';

/** Inputs of {@link continuationKdLoss}. */
export interface ContinuationInputs {
  studentLogits: tf.Tensor;
  teacherLogits: tf.Tensor;
  labels: tf.Tensor;
}

/** The epoch's schedule values and the margin (see {@link continuationSchedule}). */
export interface ContinuationOptions {
  /** Weight of the hard-label CE, in [0, 1]. */
  psi: number;
  /** Teacher scaling φ(T) in (0, 1]. */
  phi: number;
  /** Margin m ≥ 0; differences below m·φ are not penalised. The paper does not state its value. */
  margin: number;
}

/** Parts of {@link continuationKdLoss}: `hard` = CE, `soft` = L_CNT (mean hinge), plus per-sample terms. */
export interface ContinuationLossParts extends DistillLossParts {
  /** `‖z_s − φ z_t‖²` per sample `[B]` (summed over classes). */
  sqDist: tf.Tensor1D;
  /** `max(0, sqDist − m·φ)` per sample `[B]`. */
  hinge: tf.Tensor1D;
}

/**
 * Continuation-KD loss (Jafari et al. 2022, Eq. 5–6):
 * `total = ψ·CE(y, σ(z_s)) + (1 − ψ)·L_CNT`, `L_CNT = mean_b max(0, ‖z_s − φ z_t‖₂² − m·φ)`.
 * The squared norm is summed over classes (not averaged) and the hinge is per sample; the margin is
 * how the method ignores teacher noise smaller than m·φ. With m = 0 and ψ ∈ {0, 1} it is Annealing-KD.
 */
export function continuationKdLoss(inputs: ContinuationInputs, options: ContinuationOptions): ContinuationLossParts {
  const { psi, phi, margin } = options;
  checkRange('continuationKdLoss: psi', psi, 0, 1);
  checkRange('continuationKdLoss: phi', phi, 0, 1);
  if (!(margin >= 0)) throw new Error(`continuationKdLoss: margin must be >= 0, got ${margin}`);
  const { studentLogits: s, teacherLogits: t, labels } = inputs;
  checkLogits('student logits', s);
  checkPair(s, t);
  checkLabels(labels, s.shape[0], s.shape[1]);
  return scoped('continuationKdLoss', () => {
    const diff = tf.sub(s, tf.mul(detach(t), phi));
    const sqDist = tf.sum(tf.square(diff), -1) as tf.Tensor1D;
    const hinge = tf.relu(tf.sub(sqDist, margin * phi)) as tf.Tensor1D;
    const soft = tf.mean(hinge) as tf.Scalar;
    const hard = meanCrossEntropy(s, labels as tf.Tensor1D);
    const total = tf.add(tf.mul(hard, psi), tf.mul(soft, 1 - psi)) as tf.Scalar;
    return { total, hard, soft, sqDist, hinge };
  });
}
