import * as tf from '@tensorflow/tfjs-core';
import { globalRng, scoped, stopGradient, type Rng } from '@lel/core';

/** Options of {@link featureDrop}. */
export interface FeatureDropOptions {
  /** γ itself (given in tests); drawn from U(`gammaRange`) otherwise. */
  gamma?: number;
  /** Range of γ. Official `np.random.uniform(0.7, 0.9)` [models/decoders.py FeatureDropDecoder]. */
  gammaRange?: [number, number];
  rng?: Rng;
}

/** Every intermediate of F-Drop (for inspection and golden tests). */
export interface FeatureDropParts {
  /** Channel mean of z, [B, h, w]. */
  attention: tf.Tensor3D;
  /** γ · per-sample max of the attention, [B]. */
  threshold: tf.Tensor1D;
  /** 1 where attention < threshold (kept), 0 where dropped, [B, h, w]. */
  mask: tf.Tensor3D;
  /** z ⊙ mask (no rescaling). */
  out: tf.Tensor4D;
  gamma: number;
}

/** F-Drop with all intermediates; see {@link featureDrop}. The caller disposes the tensors. */
export function featureDropParts(z: tf.Tensor4D, options: FeatureDropOptions = {}): FeatureDropParts {
  const [lo, hi] = options.gammaRange ?? [0.7, 0.9];
  const gamma = options.gamma ?? (options.rng ?? globalRng()).uniform(lo, hi);
  const [b] = z.shape;
  const parts = scoped('featureDrop', () => {
    // The mask is a constant of the step (a comparison has no gradient): computed from detached z.
    const attention = tf.mean(stopGradient(z), 3) as tf.Tensor3D;
    const threshold = tf.mul(tf.max(tf.reshape(attention, [b, -1]), 1), gamma) as tf.Tensor1D;
    // Strict '<' as the official code: the most active positions (and ties with the threshold) are dropped.
    const mask = tf.cast(tf.less(attention, tf.reshape(threshold, [b, 1, 1])), 'float32') as tf.Tensor3D;
    const out = tf.mul(z, tf.expandDims(mask, 3)) as tf.Tensor4D;
    return { attention, threshold, mask, out };
  });
  return { ...parts, gamma };
}

/**
 * F-Drop: drop the most active regions. a = mean over channels; per sample, positions with
 * a ≥ γ · max(a) are zeroed, γ ~ U(0.7, 0.9) drawn once per call and shared across the batch.
 */
export function featureDrop(z: tf.Tensor4D, options: FeatureDropOptions = {}): tf.Tensor4D {
  const { attention, threshold, mask, out } = featureDropParts(z, options);
  tf.dispose([attention, threshold, mask]);
  return out;
}
