import * as tf from '@tensorflow/tfjs-core';
import { scoped } from '@lel/core';
import { assertFloatRank, assertSameShape } from './validate';

/** Result of {@link gaussianKl}; the caller disposes both tensors. */
export interface GaussianKlResult {
  /** Batch mean of the per-sample KL, a scalar. */
  kl: tf.Scalar;
  /** KL of each sample, [B]. */
  perSample: tf.Tensor1D;
}

/** Smallest standard deviation inside the logarithms (VIBERT's `kl_div` clamps σ at 1e-8 there). */
export const KL_STD_FLOOR = 1e-8;

/**
 * KL(N(μq, σq²) ‖ N(μp, σp²)) between diagonal Gaussians, as VIBERT's `kl_div` (`rabeehk/vibert:models.py`):
 * per sample ½[Σ σq²/σp² + Σ (μp − μq)²/σp² − K + Σ log max(σp, 1e-8)² − Σ log max(σq, 1e-8)²], the prior
 * `[K]` broadcast over the batch, then the batch mean. Always ≥ 0; exactly 0 when q equals the prior.
 *
 * @param muQ posterior means [B, K]
 * @param stdQ posterior standard deviations [B, K] (> 0)
 * @param muP prior mean [K]
 * @param stdP prior standard deviation [K] (> 0)
 */
export function gaussianKl(muQ: tf.Tensor, stdQ: tf.Tensor, muP: tf.Tensor, stdP: tf.Tensor): GaussianKlResult {
  const fn = 'gaussianKl';
  assertFloatRank(fn, 'muQ', muQ, 2, '[batch, K]');
  assertFloatRank(fn, 'stdQ', stdQ, 2, '[batch, K]');
  assertSameShape(fn, 'muQ', muQ, 'stdQ', stdQ);
  assertFloatRank(fn, 'muP', muP, 1, '[K]');
  assertFloatRank(fn, 'stdP', stdP, 1, '[K]');
  const k = muQ.shape[1]!;
  if (muP.shape[0] !== k || stdP.shape[0] !== k) {
    throw new Error(`${fn}: muP [${muP.shape}] and stdP [${stdP.shape}] must have K = ${k} entries like muQ [${muQ.shape}]`);
  }
  if (muQ.shape[0] === 0) throw new Error(`${fn}: muQ has an empty batch`);
  return scoped(fn, () => {
    const varP = tf.square(stdP);
    const ratio = tf.sum(tf.div(tf.square(stdQ), varP), 1);
    const maha = tf.sum(tf.div(tf.square(tf.sub(muP, muQ)), varP), 1);
    // The floor applies inside the logarithm only, as the official code; 2·log σ = log σ².
    const logVarP = tf.sum(tf.mul(2, tf.log(tf.maximum(stdP, KL_STD_FLOOR))));
    const logVarQ = tf.sum(tf.mul(2, tf.log(tf.maximum(stdQ, KL_STD_FLOOR))), 1);
    const perSample = tf.mul(0.5, tf.sub(tf.add(tf.sub(tf.add(ratio, maha), k), logVarP), logVarQ)) as tf.Tensor1D;
    return { kl: tf.mean(perSample) as tf.Scalar, perSample };
  });
}
