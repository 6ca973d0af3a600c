import * as tf from '@tensorflow/tfjs-core';
import { scoped } from '@lel/core';
import type { DistillLossParts } from './types';
import { checkLabels, checkLogits } from './validate';
import { meanCrossEntropy } from './cross-entropy';

/** Options of {@link confidencePenaltyLoss}. */
export interface ConfidencePenaltyOptions {
  /** Penalty strength β ≥ 0 (use {@link annealedBeta} to anneal it). Default 0.1. */
  beta?: number;
  /**
   * Entropy threshold Γ (nats). When set, only samples whose entropy is below Γ are penalised, by
   * `β·max(0, Γ − H)`; when absent the plain penalty `−β·H` applies to every sample.
   */
  threshold?: number;
}

/** Parts of {@link confidencePenaltyLoss}: `soft` is the unweighted penalty, `total = hard + β·soft`. */
export interface ConfidencePenaltyParts extends DistillLossParts {
  /** Predictive entropy per sample `[B]` (natural log). */
  entropy: tf.Tensor1D;
}

/**
 * Confidence penalty (Pereyra et al., ICLR-W 2017), written as a loss to minimise:
 * plain `total = CE − β·mean_b H(p_b)` (soft = −mean H); thresholded
 * `total = CE + β·mean_b max(0, Γ − H(p_b))` (soft = mean hinge), which leaves samples that are
 * already uncertain enough alone. `H = −Σ_k p_k log p_k` of `p = softmax(z)`.
 */
export function confidencePenaltyLoss(logits: tf.Tensor, labels: tf.Tensor, options: ConfidencePenaltyOptions = {}): ConfidencePenaltyParts {
  const beta = options.beta ?? 0.1;
  if (!(beta >= 0)) throw new Error(`confidencePenaltyLoss: beta must be >= 0, got ${beta}`);
  if (options.threshold !== undefined && !(options.threshold >= 0)) {
    throw new Error(`confidencePenaltyLoss: threshold must be >= 0 nats, got ${options.threshold}`);
  }
  checkLogits('logits', logits);
  // A regulariser of the labelled loss: every row needs its label.
  checkLabels(labels, logits.shape[0], logits.shape[1], { unlabelled: false });
  return scoped('confidencePenaltyLoss', () => {
    const logp = tf.logSoftmax(logits);
    const entropy = tf.neg(tf.sum(tf.mul(tf.exp(logp), logp), -1)) as tf.Tensor1D;
    const hard = meanCrossEntropy(logits, labels as tf.Tensor1D);
    const soft = (
      options.threshold === undefined ? tf.neg(tf.mean(entropy)) : tf.mean(tf.relu(tf.sub(options.threshold, entropy)))
    ) as tf.Scalar;
    const total = tf.add(hard, tf.mul(soft, beta)) as tf.Scalar;
    return { total, hard, soft, entropy };
  });
}

/** Options of {@link annealedBeta}. */
export interface BetaAnnealing {
  /** β at step 0. */
  from: number;
  /** β from `steps` on. */
  to: number;
  /** Length of the ramp. */
  steps: number;
  /** Ramp shape; default linear. */
  strategy?: 'linear' | 'cos';
}

/**
 * β at `step` for an annealed confidence penalty. Pereyra et al. describe annealing β over training
 * without giving a schedule, so the ramp shape and its end points are the caller's choice.
 */
export function annealedBeta(step: number, a: BetaAnnealing): number {
  if (!(a.steps >= 0)) throw new Error(`annealedBeta: steps must be >= 0, got ${a.steps}`);
  const t = a.steps === 0 ? 1 : Math.min(1, Math.max(0, step / a.steps));
  const w = a.strategy === 'cos' ? (1 - Math.cos(Math.PI * t)) / 2 : t;
  return a.from + (a.to - a.from) * w;
}
