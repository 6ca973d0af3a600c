import * as tf from '@tensorflow/tfjs-core';
import { globalRng, scoped, type Rng } from '@lel/core';

/** Options of {@link featureNoise}. */
export interface FeatureNoiseOptions {
  /** Half-width r of the U(−r, r) noise. Official `uniform_range` 0.3 [models/decoders.py FeatureNoiseDecoder]. */
  uniformRange?: number;
  /** The noise N itself, shape [h, w, C] (given in tests; drawn from `rng` otherwise). */
  noise?: tf.Tensor;
  /** Generator for N (default: the global seeded generator). */
  rng?: Rng;
}

/**
 * F-Noise: z' = z + z ⊙ N with N ~ U(−r, r) of shape [h, w, C], drawn once per call and shared by
 * every sample of the batch (the official `uni_dist.sample(x.shape[1:])` broadcast over the batch).
 * The noise is multiplicative, so its scale follows the activations.
 */
export function featureNoise(z: tf.Tensor4D, options: FeatureNoiseOptions = {}): tf.Tensor4D {
  const [, h, w, c] = z.shape;
  const r = options.uniformRange ?? 0.3;
  if (options.noise && !tf.util.arraysEqual(options.noise.shape, [h, w, c])) {
    throw new Error(`featureNoise: noise must have shape [${h},${w},${c}] (h, w, C), got [${options.noise.shape}]`);
  }
  return scoped('featureNoise', () => {
    const noise = options.noise ?? (options.rng ?? globalRng()).uniformTensor([h, w, c], -r, r);
    return tf.add(z, tf.mul(z, noise)) as tf.Tensor4D;
  });
}
