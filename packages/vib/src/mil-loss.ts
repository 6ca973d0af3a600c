import * as tf from '@tensorflow/tfjs-core';
import { crossEntropy, scoped } from '@lel/core';
import { infoLoss } from './bernoulli-mask';
import type { MilOutput } from './mil-model';
import { assertNonNegative } from './validate';

/** Options of {@link milIbLoss} (defaults: the official code). */
export interface MilIbLossOptions {
  /** Weight of the bag CE (0.7, `bag_weight` in train_stage1.py). */
  bagWeight?: number;
  /** Weight of the info loss (0.1 in core_utils.py). */
  infoWeight?: number;
  /** Keep-rate target of the info loss (0.1). */
  threshold?: number;
}

/** The MIL loss by named part; the caller disposes the tensors (`fit` does it for you). */
export type MilIbLossParts = {
  total: tf.Scalar;
  /** Bag cross-entropy. */
  ce: tf.Scalar;
  /** (mean σ(s) − threshold)², 0 without the IB. */
  info: tf.Scalar;
};

/**
 * Loss of the Bernoulli-mask IB (`invoker-LL/WSI-finetuning:utils/core_utils.py`):
 * total = bagWeight · CE(bag logits, label) + infoWeight · infoLoss(s). Without the IB (no gate scores) the total
 * is the plain bag CE, as CLAM-SB without instance clustering.
 *
 * @param label int32 [1], the bag's class
 */
export function milIbLoss(out: Pick<MilOutput, 'logits' | 'gateLogits'>, label: tf.Tensor, options: MilIbLossOptions = {}): MilIbLossParts {
  const bagWeight = options.bagWeight ?? 0.7;
  const infoWeight = options.infoWeight ?? 0.1;
  assertNonNegative('milIbLoss', 'bagWeight', bagWeight);
  assertNonNegative('milIbLoss', 'infoWeight', infoWeight);
  if (label.rank !== 1 || label.shape[0] !== out.logits.shape[0]) throw new Error(`milIbLoss: label must have shape [${out.logits.shape[0]}], got [${label.shape}]`);
  return scoped('milIbLoss', () => {
    const ce = crossEntropy(out.logits, label) as tf.Scalar;
    if (!out.gateLogits) return { total: tf.clone(ce), ce, info: tf.scalar(0) };
    const { loss: info, meanKeep } = infoLoss(out.gateLogits, options.threshold ?? 0.1);
    meanKeep.dispose();
    return { total: tf.add(tf.mul(ce, bagWeight), tf.mul(info, infoWeight)) as tf.Scalar, ce, info };
  });
}
