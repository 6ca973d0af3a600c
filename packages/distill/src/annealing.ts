import * as tf from '@tensorflow/tfjs-core';
import { scoped, stopGradient as detach } from '@lel/core';
import type { DistillLossParts } from './types';
import { checkLabels, checkLogits, checkPair, checkRange } from './validate';
import { meanCrossEntropy } from './cross-entropy';

/** Options of {@link annealingKdSchedule}. */
export interface AnnealingScheduleOptions {
  /** Stage-1 epochs (teacher matching with annealed φ). */
  stage1Epochs: number;
  /** Stage-2 epochs (hard labels only, from the best stage-1 checkpoint). */
  stage2Epochs: number;
  /** Starting temperature T_max. */
  tMax: number;
}

/** One epoch of Annealing-KD. */
export interface AnnealingEpoch {
  epoch: number;
  stage: 1 | 2;
  T: number;
  phi: number;
}

/**
 * Annealing-KD (Jafari et al., EACL 2021) epoch plan: in stage 1 the temperature falls from T_max to 1
 * in steps of one every `k = max(1, ⌊stage1Epochs/T_max⌋)` epochs (the same cadence as Continuation-KD,
 * written in closed form `T_i = max(1, T_max − ⌊i/k⌋)`), and `φ = 1 − (T − 1)/T_max`; stage 2 uses the
 * labels only (φ reported as 1).
 */
export function annealingKdSchedule(options: AnnealingScheduleOptions): AnnealingEpoch[] {
  const { stage1Epochs: n1, stage2Epochs: n2, tMax } = options;
  if (!Number.isInteger(n1) || n1 < 1) throw new Error(`annealingKdSchedule: stage1Epochs must be a positive integer, got ${n1}`);
  if (!Number.isInteger(n2) || n2 < 0) throw new Error(`annealingKdSchedule: stage2Epochs must be an integer >= 0, got ${n2}`);
  if (!Number.isInteger(tMax) || tMax < 1) throw new Error(`annealingKdSchedule: tMax must be an integer >= 1, got ${tMax}`);
  const k = Math.max(1, Math.floor(n1 / tMax));
  const out: AnnealingEpoch[] = [];
  for (let i = 1; i <= n1; i++) {
    const T = Math.max(1, tMax - Math.floor(i / k));
    out.push({ epoch: i, stage: 1, T, phi: 1 - (T - 1) / tMax });
  }
  for (let i = n1 + 1; i <= n1 + n2; i++) out.push({ epoch: i, stage: 2, T: 1, phi: 1 });
  return out;
}

/** Inputs of {@link annealingKdLoss}. */
export interface AnnealingInputs {
  studentLogits: tf.Tensor;
  teacherLogits: tf.Tensor;
  labels: tf.Tensor;
}

/**
 * Annealing-KD loss. Stage 1: `total = soft = mean_b ‖z_s − φ·z_t‖₂²` (squared distance summed over
 * classes, the same reduction as Continuation-KD's L_CNT); stage 2: `total = hard = CE(y, σ(z_s))`.
 * Both parts are always returned so logs are comparable across stages.
 */
export function annealingKdLoss(inputs: AnnealingInputs, options: { stage: 1 | 2; phi: number }): DistillLossParts {
  const { stage, phi } = options;
  if (stage !== 1 && stage !== 2) throw new Error(`annealingKdLoss: stage must be 1 or 2, got ${String(stage)}`);
  checkRange('annealingKdLoss: phi', phi, 0, 1);
  const { studentLogits: s, teacherLogits: t, labels } = inputs;
  checkLogits('student logits', s);
  checkPair(s, t);
  checkLabels(labels, s.shape[0], s.shape[1]);
  return scoped('annealingKdLoss', () => {
    const soft = tf.mean(tf.sum(tf.square(tf.sub(s, tf.mul(detach(t), phi))), -1)) as tf.Scalar;
    const hard = meanCrossEntropy(s, labels as tf.Tensor1D);
    const total = (stage === 1 ? tf.clone(soft) : tf.clone(hard)) as tf.Scalar;
    return { total, hard, soft };
  });
}
