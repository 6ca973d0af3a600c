import * as tf from '@tensorflow/tfjs-core';
import { scoped } from '@lel/core';
import { iicLoss, type IicLossOptions } from './iic-loss';
import type { ArSegOutput } from './model';

/** The loss of @lel/autoregressive-seg, by named part. */
export type ArSegLossParts = {
  total: tf.Scalar;
  /** IIC loss of the main head (K clusters) between the two views. */
  mi: tf.Scalar;
  /** IIC loss of the over-clustering head (present when the model has one). */
  overMi?: tf.Scalar;
};

/** Options of {@link arSegLoss}: the IIC loss options plus the over-clustering weight. */
export interface ArSegLossOptions extends IicLossOptions {
  /** Weight of the over-clustering head's loss. Default 1. */
  overclusterWeight?: number;
}

/**
 * Autoregressive clustering objective (Ouali et al., ECCV 2020, eq. 4): maximise the mutual information between the
 * cluster distributions of two views — the same image under two orderings (AC) or two augmentations (IIC
 * baseline) — with IIC's loss, on the main head and, when present, the over-clustering head:
 * total = L_IIC(main) + w · L_IIC(over).
 */
export function arSegLoss(view1: ArSegOutput, view2: ArSegOutput, options: ArSegLossOptions = {}): ArSegLossParts {
  const w = options.overclusterWeight ?? 1;
  if (!(w >= 0)) throw new Error(`arSegLoss: overclusterWeight must be >= 0, got ${w}`);
  if (Boolean(view1.overProbs) !== Boolean(view2.overProbs)) throw new Error('arSegLoss: only one of the two views has over-clustering probabilities');
  return scoped('arSegLoss', () => {
    const mi = iicLoss(view1.probs, view2.probs, options).loss;
    if (!view1.overProbs || !view2.overProbs) return { total: tf.clone(mi) as tf.Scalar, mi };
    const overMi = iicLoss(view1.overProbs, view2.overProbs, options).loss;
    return { total: tf.add(mi, tf.mul(overMi, w)) as tf.Scalar, mi, overMi };
  });
}
