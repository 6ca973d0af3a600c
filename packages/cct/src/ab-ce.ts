import * as tf from '@tensorflow/tfjs-core';
import { scoped } from '@lel/core';
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

/** ABCE's loss and the quantities that decided it. */
export interface AbCEResult {
  loss: tf.Scalar;
  /** Scheduled threshold τ(t) = 1/C + (end − 1/C)·log_rampup(t, T). */
  tau: number;
  /** The (minKept·B)-th smallest true-class probability (0 when no pixel is labelled). */
  minThreshold: number;
  threshold: number;
  numSelected: number;
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
  // True-class probabilities go to the host for sorting; the selection mask comes back as a constant.
  const pTrue = tf.tidy(() => {
    const lab = tf.cast(labels, 'int32');
    const safe = tf.where(tf.equal(lab, ignoreIndex), tf.zerosLike(lab), lab);
    return tf.sum(tf.mul(tf.softmax(logits), tf.oneHot(safe, c)), 3);
  });
  const p = pTrue.dataSync() as Float32Array;
  pTrue.dispose();
  const lab = labels.dataSync();
  const kept: number[] = [];
  for (let i = 0; i < p.length; i++) if (lab[i] !== ignoreIndex) kept.push(p[i]!);
  kept.sort((x, y) => x - y);
  const n = kept.length;
  const minThreshold = n > 0 ? kept[Math.min(minKept * b, n - 1)]! : 0;
  const threshold = Math.max(minThreshold, tau);
  const sel = new Float32Array(p.length);
  let numSelected = 0;
  for (let i = 0; i < p.length; i++) {
    if (lab[i] !== ignoreIndex && p[i]! < threshold) {
      sel[i] = 1;
      numSelected++;
    }
  }
  const loss = scoped('abCE', () => {
    const { ce } = pixelCrossEntropy(logits, labels, ignoreIndex);
    const mask = tf.tensor(sel, ce.shape);
    return tf.div(tf.sum(tf.mul(ce, mask)), Math.max(numSelected, 1)) as tf.Scalar;
  });
  return { loss, tau, minThreshold, threshold, numSelected };
}
