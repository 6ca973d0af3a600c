import * as tf from '@tensorflow/tfjs-core';
import { scoped, stopGradient as detach } from '@lel/core';
import type { DistillLossParts } from './types';
import { checkLabels, checkLogits, checkPair, checkRange } from './validate';
import { meanCrossEntropy, negEntropyRows } from './cross-entropy';
import { ensembleSoftTargets } from './ensemble';

/** Inputs of {@link kdLoss}: the student's logits and exactly one description of the teacher. */
export interface KdInputs {
  /** Student logits `[B, C]`. */
  studentLogits: tf.Tensor;
  /** Teacher logits `[B, C]`, or several teachers' logits (ensemble: their softened probabilities are averaged). */
  teacherLogits?: tf.Tensor | readonly tf.Tensor[];
  /** Precomputed teacher probabilities `[B, C]` at the same temperature (e.g. {@link ensembleSoftTargets}). */
  teacherProbs?: tf.Tensor;
  /** Integer labels `[B]`; required unless `alpha = 0`. */
  labels?: tf.Tensor;
}

/** Options of {@link kdLoss}. */
export interface KdOptions {
  /** Weight of the hard-label CE; `1 − alpha` weighs the soft term. Default 0.5. */
  alpha?: number;
  /** Softmax temperature T > 0. Default 4. */
  temperature?: number;
}

/** Parts of {@link kdLoss}: `hard` = mean CE, `soft` = batch-mean KL at temperature T (before T²). */
export type KdLossParts = DistillLossParts;

/**
 * Hinton knowledge distillation with torchdistill's `KDLoss` semantics:
 * `total = α·CE(y, σ(z_s)) + (1 − α)·T²·KL(σ(z_t/T) ‖ σ(z_s/T))`, KL reduced with `batchmean`
 * (sum / B), CE on the unscaled logits. The T² factor keeps the soft-target gradients on the same
 * scale whatever T is, and (unlike torchdistill with α = 0 / no labels) it is never dropped.
 * The teacher side is a constant.
 */
export function kdLoss(inputs: KdInputs, options: KdOptions = {}): KdLossParts {
  const alpha = options.alpha ?? 0.5;
  const T = options.temperature ?? 4;
  checkRange('kdLoss: alpha', alpha, 0, 1);
  if (!(T > 0)) throw new Error(`kdLoss: temperature must be > 0, got ${T}`);
  const { studentLogits: s, teacherLogits, teacherProbs, labels } = inputs;
  checkLogits('student logits', s);
  if ((teacherLogits === undefined) === (teacherProbs === undefined)) {
    throw new Error('kdLoss: give exactly one of teacherLogits and teacherProbs');
  }
  if (Array.isArray(teacherLogits)) for (const [m, t] of teacherLogits.entries()) checkPair(s, t, `teacher ${m} logits`);
  else if (teacherLogits) checkPair(s, teacherLogits as tf.Tensor);
  if (teacherProbs) checkPair(s, teacherProbs, 'teacher probabilities');
  const [B, C] = s.shape;
  if (labels) checkLabels(labels, B, C);
  else if (alpha > 0) throw new Error(`kdLoss: labels are required when alpha > 0 (alpha = ${alpha})`);

  return scoped('kdLoss', () => {
    const pt: tf.Tensor2D = teacherProbs
      ? detach(teacherProbs as tf.Tensor2D)
      : Array.isArray(teacherLogits)
        ? ensembleSoftTargets(teacherLogits, T)
        : (tf.softmax(tf.div(detach(teacherLogits as tf.Tensor2D), T)) as tf.Tensor2D);
    const logps = tf.logSoftmax(tf.div(s, T));
    // KL(p_t ‖ p_s) = Σ p_t log p_t − Σ p_t log p_s, summed over the batch and divided by B.
    const klRows = tf.sub(negEntropyRows(pt), tf.sum(tf.mul(pt, logps), -1));
    const soft = tf.div(tf.sum(klRows), B) as tf.Scalar;
    const hard = labels ? meanCrossEntropy(s, labels as tf.Tensor1D) : tf.scalar(0);
    const total = tf.add(tf.mul(hard, alpha), tf.mul(soft, (1 - alpha) * T * T)) as tf.Scalar;
    return { total, hard, soft };
  });
}
