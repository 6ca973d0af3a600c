import * as tf from '@tensorflow/tfjs-core';
import { scoped } from '@lel/core';
import { assertFloatRank, assertPositive } from './validate';

/** float32 machine epsilon: torch's `clamp_probs` keeps probabilities and uniforms in [eps, 1 − eps]. */
export const PROB_EPS = 1.1920928955078125e-7;

/** Options of {@link relaxedBernoulliMask}. */
export interface RelaxedBernoulliMaskOptions {
  /** Relaxation temperature (0.1 in the official code). */
  temperature?: number;
  /** Keep-rate threshold; the mask is normalised by 1 + threshold (0.1 in the official code). */
  threshold?: number;
}

/** What {@link relaxedBernoulliMask} returns; the caller disposes every tensor. */
export interface RelaxedBernoulliMask {
  /** log σ(s) [N], reported for reference (the official code's `logits`). */
  logProb: tf.Tensor1D;
  /** The relaxed samples [N, S]. */
  relaxedSamples: tf.Tensor2D;
  /** Mean over the S samples [N]. */
  z: tf.Tensor1D;
  /** (z + σ(s)) / (1 + threshold) [N]. */
  mask: tf.Tensor1D;
  /** mask[:, None] ⊙ h [N, L]. */
  hMasked: tf.Tensor2D;
}

/**
 * The training branch of the Bernoulli-mask information bottleneck (Li et al., CVPR 2023;
 * `invoker-LL/WSI-finetuning:models/vib_clam_wsi.py`): gate scores s [N] are the logits of a
 * RelaxedBernoulli(temperature) with keep probability p = σ(s); with uniforms u [N, S] each relaxed sample is
 * σ((log u − log(1 − u) + log p − log(1 − p)) / temperature) (u and p clamped to [eps, 1 − eps] as torch), z is
 * their mean, and the instance features h [N, L] are scaled by mask = (z + σ(s)) / (1 + threshold).
 * Differentiable in s and h (reparameterised). LEL deliberately differs from the official code, which passes
 * log σ(s) as the logits (see the package README).
 */
export function relaxedBernoulliMask(s: tf.Tensor, u: tf.Tensor, h: tf.Tensor, options: RelaxedBernoulliMaskOptions = {}): RelaxedBernoulliMask {
  const fn = 'relaxedBernoulliMask';
  assertFloatRank(fn, 's', s, 1, '[instances]');
  assertFloatRank(fn, 'u', u, 2, '[instances, samples]');
  assertFloatRank(fn, 'h', h, 2, '[instances, features]');
  const n = s.shape[0]!;
  if (n === 0) throw new Error(`${fn}: the bag is empty (s has 0 instances)`);
  if (u.shape[0] !== n || h.shape[0] !== n) throw new Error(`${fn}: u [${u.shape}] and h [${h.shape}] must have the ${n} instances of s`);
  const temperature = options.temperature ?? 0.1;
  const threshold = options.threshold ?? 0.1;
  assertPositive(fn, 'temperature', temperature);
  if (!(threshold >= 0 && threshold <= 1)) throw new Error(`${fn}: threshold must be in [0, 1], got ${threshold}`);
  return scoped(fn, () => {
    // log p − log(1 − p) of the clamped p is s clipped to ±logit(1 − eps): exact, and stable for large |s|.
    const bound = Math.log((1 - PROB_EPS) / PROB_EPS);
    const logitP = tf.clipByValue(s, -bound, bound);
    const uc = tf.clipByValue(u, PROB_EPS, 1 - PROB_EPS);
    const logitU = tf.sub(tf.log(uc), tf.log1p(tf.neg(uc)));
    const relaxedSamples = tf.sigmoid(tf.div(tf.add(logitU, tf.expandDims(logitP, 1)), temperature)) as tf.Tensor2D;
    const z = tf.mean(relaxedSamples, 1) as tf.Tensor1D;
    const mask = tf.div(tf.add(z, tf.sigmoid(s)), 1 + threshold) as tf.Tensor1D;
    const hMasked = tf.mul(tf.expandDims(mask, 1), h) as tf.Tensor2D;
    const logProb = tf.logSigmoid(s) as tf.Tensor1D;
    return { logProb, relaxedSamples, z, mask, hMasked };
  });
}

/**
 * Info loss "option 2" of the official code: (mean_i σ(s_i) − target)², pushing the bag's average keep
 * probability towards the keep rate `target` (0.1). Returns the loss and the mean keep probability.
 */
export function infoLoss(s: tf.Tensor, target = 0.1): { loss: tf.Scalar; meanKeep: tf.Scalar } {
  assertFloatRank('infoLoss', 's', s, 1, '[instances]');
  if (s.shape[0] === 0) throw new Error('infoLoss: the bag is empty (s has 0 instances)');
  if (!(target >= 0 && target <= 1)) throw new Error(`infoLoss: target must be in [0, 1], got ${target}`);
  return scoped('infoLoss', () => {
    const meanKeep = tf.mean(tf.sigmoid(s)) as tf.Scalar;
    return { loss: tf.square(tf.sub(meanKeep, target)) as tf.Scalar, meanKeep };
  });
}
