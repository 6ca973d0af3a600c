import * as tf from '@tensorflow/tfjs-core';
import '../layers/register-gradients';
import { scoped } from '../scope';
import { reduce, type Reduction } from './reduction';
import { assertFloatTensor, assertNoNaN, assertSameShape } from './validate';

/** Options of {@link binaryCrossEntropyWithLogits}. */
export interface BinaryCrossEntropyOptions {
  reduction?: Reduction;
  /** Weight of positive examples (PyTorch's `pos_weight`), broadcast over the last axis. */
  posWeight?: tf.Tensor | number;
}

/**
 * `F.binary_cross_entropy_with_logits`: −[pw·t·log σ(x) + (1 − t)·log(1 − σ(x))], computed stably as
 * (1 − t)·x + (1 + (pw − 1)·t)·(log(1 + e^{−|x|}) + max(−x, 0)). Targets are float in [0, 1] (soft labels allowed).
 */
export function binaryCrossEntropyWithLogits(logits: tf.Tensor, targets: tf.Tensor, options: BinaryCrossEntropyOptions = {}): tf.Tensor {
  const fn = 'binaryCrossEntropyWithLogits';
  assertFloatTensor(fn, 'logits', logits, 0);
  assertFloatTensor(fn, 'targets', targets, 0);
  assertSameShape(fn, 'logits', logits, 'targets', targets);
  assertNoNaN(fn, 'logits', logits);
  assertNoNaN(fn, 'targets', targets);
  return scoped(fn, () => {
    const softplusNeg = tf.add(tf.log1p(tf.exp(tf.neg(tf.abs(logits)))), tf.relu(tf.neg(logits)));
    const pw = options.posWeight;
    const coef = pw === undefined ? tf.onesLike(targets) : tf.add(1, tf.mul(tf.sub(pw, 1), targets));
    const perElement = tf.add(tf.mul(tf.sub(1, targets), logits), tf.mul(coef, softplusNeg));
    return reduce(fn, perElement, options.reduction ?? 'mean');
  });
}
