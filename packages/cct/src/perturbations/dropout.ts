import * as tf from '@tensorflow/tfjs-core';
import { globalRng, scoped, type Rng } from '@lel/core';

/** Options of {@link dropout2d}. */
export interface Dropout2dOptions {
  /** Drop probability. Official `drop_rate` 0.5 [models/decoders.py DropOutDecoder]. */
  p?: number;
  /**
   * Channel dropout (`nn.Dropout2d`, default, official `spatial_dropout=True`) or element dropout
   * (`nn.Dropout`) when false.
   */
  spatial?: boolean;
  /** The 0/1 keep mask (given in tests): [B, C] when spatial, z's shape otherwise. */
  keepMask?: tf.Tensor;
  rng?: Rng;
}

/**
 * DropOut perturbation: whole feature channels dropped per sample with probability p, survivors
 * scaled by 1/(1 − p) (inverted dropout, so the expected activation is unchanged).
 */
export function dropout2d(z: tf.Tensor4D, options: Dropout2dOptions = {}): tf.Tensor4D {
  const p = options.p ?? 0.5;
  if (!(p >= 0 && p < 1)) throw new Error(`dropout2d: p must be in [0, 1), got ${p}`);
  const spatial = options.spatial ?? true;
  const [b, , , c] = z.shape;
  const maskShape = spatial ? [b, c] : z.shape;
  if (options.keepMask && !tf.util.arraysEqual(options.keepMask.shape, maskShape)) {
    throw new Error(`dropout2d: keepMask must have shape [${maskShape}], got [${options.keepMask.shape}]`);
  }
  return scoped('dropout2d', () => {
    const keep = options.keepMask ?? (options.rng ?? globalRng()).bernoulliTensor(maskShape, 1 - p);
    const m = spatial ? tf.reshape(keep, [b, 1, 1, c]) : keep;
    return tf.mul(z, tf.mul(m, 1 / (1 - p))) as tf.Tensor4D;
  });
}
