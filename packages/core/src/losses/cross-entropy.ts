import * as tf from '@tensorflow/tfjs-core';
import '../layers/register-gradients';
import { fusedSoftmaxCrossEntropy } from '../kernels/webgpu/softmax-cross-entropy';
import { checkIntRange } from '../device-checks';
import { scoped } from '../scope';
import type { Reduction } from './reduction';
import { assertFloatTensor, assertNoNaN } from './validate';

/** Options of {@link crossEntropy}. */
export interface CrossEntropyOptions {
  /** Positions with this label count in neither numerator nor denominator (default −100, as PyTorch). */
  ignoreIndex?: number;
  /** PyTorch's `label_smoothing` e in [0, 1] (default 0). */
  labelSmoothing?: number;
  /** Default 'mean' (over non-ignored positions, weighted by classWeights[label] when given). */
  reduction?: Reduction;
  /** Per-class weights `[C]` (PyTorch's `weight`). */
  classWeights?: tf.Tensor | number[];
  /**
   * Check the values (default true): every label is in [0, C) or `ignoreIndex`, and the logits hold no NaN. On
   * cpu/wasm the check throws at once; on GPU backends it runs on the device and throws at the next read (LEL's
   * training loop reads after every step), so the queue never stalls. Pass `false` in a training loop whose
   * labels were validated once (for example when the dataset was built) to skip both; shape and dtype checks stay.
   * Unchecked, an out-of-range label silently adds a zero loss term that still counts in the 'mean' denominator,
   * and NaN logits give a NaN loss (which `fit` stops on by default: `nanGuard`).
   */
  validate?: boolean;
}

/**
 * Cross-entropy of softmax(logits) over the last axis against integer labels (`F.cross_entropy` with the class
 * axis last): logits `[..., C]`, int32 labels `[...]`. Per position
 * ℓ = (1 − e)·w_y·(−log p_y) + (e/C)·Σ_c w_c·(−log p_c), 0 where label = ignoreIndex. 'mean' divides the sum by
 * Σ w_y over non-ignored positions (their count without weights); if every position is ignored the loss is 0
 * (PyTorch gives NaN). Labels outside [0, C) other than ignoreIndex are an error naming the value, and NaN logits
 * an error, unless `validate: false` skips these host reads (see {@link CrossEntropyOptions.validate}).
 */
export function crossEntropy(logits: tf.Tensor, labels: tf.Tensor, options: CrossEntropyOptions = {}): tf.Tensor {
  const fn = 'crossEntropy';
  assertFloatTensor(fn, 'logits', logits, 1);
  if (!(labels instanceof tf.Tensor)) throw new Error(`${fn}: labels must be a tf.Tensor, got ${typeof labels}`);
  if (labels.dtype !== 'int32') throw new Error(`${fn}: labels must be int32, got ${labels.dtype}`);
  const lead = logits.shape.slice(0, -1);
  if (!tf.util.arraysEqual(labels.shape, lead)) {
    throw new Error(`${fn}: labels must have shape [${lead}] (logits [${logits.shape}] without the class axis), got [${labels.shape}]`);
  }
  const c = logits.shape[logits.rank - 1]!;
  const ignoreIndex = options.ignoreIndex ?? -100;
  const e = options.labelSmoothing ?? 0;
  if (!(e >= 0 && e <= 1)) throw new Error(`${fn}: labelSmoothing must be in [0, 1], got ${e}`);
  const reduction = options.reduction ?? 'mean';
  if (!['mean', 'sum', 'none'].includes(reduction)) throw new Error(`${fn}: reduction must be 'mean', 'sum' or 'none', got ${JSON.stringify(reduction)}`);
  if (options.validate ?? true) {
    checkIntRange(labels, 0, c, (v, i) => `${fn}: label ${v} at flat position ${i} is out of range [0, ${c}) and is not ignoreIndex (${ignoreIndex})`, ignoreIndex);
    assertNoNaN(fn, 'logits', logits);
  }
  let weights: tf.Tensor | null = null;
  if (options.classWeights !== undefined) {
    const w = options.classWeights;
    const shape = w instanceof tf.Tensor ? w.shape : [w.length];
    if (shape.length !== 1 || shape[0] !== c) throw new Error(`${fn}: classWeights must be [${c}], got shape [${shape}]`);
  }
  return scoped(fn, () => {
    if (options.classWeights !== undefined) {
      const w = options.classWeights;
      weights = w instanceof tf.Tensor ? tf.cast(w, 'float32') : tf.tensor1d(w, 'float32');
    }
    // One fused kernel on webgpu (without class weights) for the per-position loss.
    const perPosFused = weights ? undefined : fusedSoftmaxCrossEntropy(logits, labels, ignoreIndex, e);
    if (perPosFused) {
      if (reduction === 'none') return perPosFused;
      if (reduction === 'sum') return tf.sum(perPosFused);
      const den = tf.sum(tf.cast(tf.notEqual(labels, ignoreIndex), 'float32'));
      return tf.div(tf.sum(perPosFused), tf.where(tf.greater(den, 0), den, tf.onesLike(den)));
    }
    const logp = tf.logSoftmax(logits);
    const valid = tf.notEqual(labels, ignoreIndex);
    const validF = tf.cast(valid, 'float32');
    const safe = tf.where(valid, labels, tf.zerosLike(labels));
    const onehot = tf.oneHot(safe, c); // float32 [..., C]
    // Weight of each position's true class (1 without classWeights), zero at ignored positions.
    const wy = weights ? tf.mul(tf.sum(tf.mul(onehot, weights), -1), validF) : validF;
    const nll = tf.neg(tf.sum(tf.mul(onehot, logp), -1));
    let perPos = tf.mul(nll, wy);
    if (e > 0) {
      const smooth = tf.neg(tf.sum(weights ? tf.mul(logp, weights) : logp, -1));
      perPos = tf.add(tf.mul(perPos, 1 - e), tf.mul(tf.mul(smooth, validF), e / c));
    }
    if (reduction === 'none') return perPos;
    if (reduction === 'sum') return tf.sum(perPos);
    // All positions ignored: numerator and denominator are 0 and the loss is 0. (tf.divNoNan is not
    // differentiable in tfjs: its Equal has no gradient.) The denominator does not depend on the logits.
    const den = tf.sum(wy);
    return tf.div(tf.sum(perPos), tf.where(tf.greater(den, 0), den, tf.onesLike(den)));
  });
}
