import * as tf from '@tensorflow/tfjs-core';
import { scoped, stopGradient } from '@lel/core';
import { pixelCrossEntropy } from './cross-entropy';
import { logRampup } from './ramp-up';

/** Options of {@link abCE}. */
export interface AbCEOptions {
  /** Global iteration t. */
  t: number;
  /**
   * Length of the threshold schedule in iterations. Official `(epochs − 0.6·epochs) · iters_per_epoch`
   * [utils/losses.py abCE_loss].
   */
  totalIters: number;
  /** Pixels kept per image at least. Official `min_kept` 1. */
  minKept?: number;
  ignoreIndex?: number;
  /** Final threshold. Official `self.end` 0.9. */
  end?: number;
}

/**
 * ABCE's loss and the quantities that decided it. The data-dependent ones are scalar tensors computed on the device
 * (no read back in the training step); the caller disposes them with the loss (a `tf.tidy` does).
 */
export interface AbCEResult {
  loss: tf.Scalar;
  /** Scheduled threshold τ(t) = 1/C + (end − 1/C)·log_rampup(t, T). */
  tau: number;
  /** The (minKept·B)-th smallest true-class probability (0 when no pixel is labelled). */
  minThreshold: tf.Scalar;
  /** max(minThreshold, τ). */
  threshold: tf.Scalar;
  /** Pixels selected (labelled, true-class probability below the threshold), int32. */
  numSelected: tf.Scalar;
}

/**
 * Annealed-bootstrapped cross-entropy (`abCE_loss` [utils/losses.py]): the mean CE over the hard pixels,
 * those whose true-class probability is below max(τ(t), p_sorted[min(minKept·B, n − 1)]); τ anneals from
 * 1/C to 0.9, so training starts on the hardest pixels only and ends on nearly all. 0 when none is selected.
 */
export function abCE(logits: tf.Tensor4D, labels: tf.Tensor3D, options: AbCEOptions): AbCEResult {
  const ignoreIndex = options.ignoreIndex ?? 255;
  const minKept = options.minKept ?? 1;
  const end = options.end ?? 0.9;
  const [b, , , c] = logits.shape;
  const start = 1 / c;
  const tau = start + (end - start) * logRampup(options.t, options.totalIters);
  // Everything on the device (no host read in a training step): sort the labelled pixels' true-class
  // probabilities ascending (ignored pixels last, at 2 > any probability) and pick the (minKept·B)-th.
  const [loss, minThreshold, threshold, numSelected] = scoped('abCE', () => {
    const lab = tf.reshape(tf.cast(labels, 'int32'), [-1]);
    const kept = tf.notEqual(lab, ignoreIndex);
    const safe = tf.where(kept, lab, tf.zerosLike(lab));
    const pTrue = stopGradient(tf.sum(tf.mul(tf.reshape(tf.softmax(logits), [-1, c]), tf.oneHot(safe, c)), 1));
    const n = tf.sum(tf.cast(kept, 'int32'));
    const ascending = tf.neg(tf.topk(tf.neg(tf.where(kept, pTrue, tf.fill(pTrue.shape, 2))), pTrue.size).values);
    const at = tf.maximum(tf.minimum(tf.scalar(minKept * b, 'int32'), tf.sub(n, tf.scalar(1, 'int32'))), tf.scalar(0, 'int32'));
    const minThreshold = tf.where(tf.greater(n, tf.scalar(0, 'int32')), tf.reshape(tf.gather(ascending, tf.reshape(at, [1])), []), tf.scalar(0)) as tf.Scalar;
    const threshold = tf.maximum(minThreshold, tau) as tf.Scalar;
    const sel = tf.cast(tf.logicalAnd(kept, tf.less(pTrue, threshold)), 'float32');
    const numSelected = tf.cast(tf.sum(sel), 'int32') as tf.Scalar;
    const { ce } = pixelCrossEntropy(logits, labels, ignoreIndex);
    const loss = tf.div(tf.sum(tf.mul(tf.reshape(ce, [-1]), sel)), tf.maximum(tf.sum(sel), 1)) as tf.Scalar;
    return [loss, minThreshold, threshold, numSelected] as const;
  });
  return { loss, tau, minThreshold, threshold, numSelected };
}
