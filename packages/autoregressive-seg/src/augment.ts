import * as tf from '@tensorflow/tfjs-core';
import { scoped, type Rng } from '@lel/core';

/** Options of {@link iicViews}. */
export interface IicViewOptions {
  /** Colour-jitter strength j: brightness ±j, contrast ×(1 ± j), per-channel gain ×(1 ± j). Default 0.1. */
  jitter?: number;
  /** Probability of flipping the second view horizontally. Default 0.5. */
  flipProbability?: number;
}

/** Two views of a batch for the IIC baseline (owned by the caller). */
export interface IicViews {
  v1: tf.Tensor4D;
  v2: tf.Tensor4D;
  /** Per-sample: whether v2 was flipped (pass to {@link unflip} on v2's prediction). */
  flipped: boolean[];
}

function jitterOne(x: tf.Tensor4D, rng: Rng, j: number): tf.Tensor4D {
  const [b, , , c] = x.shape;
  const bright = new Float32Array(b);
  const contrast = new Float32Array(b);
  const gain = new Float32Array(b * c);
  for (let i = 0; i < b; i++) {
    bright[i] = rng.uniform(-j, j);
    contrast[i] = rng.uniform(1 - j, 1 + j);
    for (let k = 0; k < c; k++) gain[i * c + k] = rng.uniform(1 - j, 1 + j);
  }
  const mean = tf.mean(x, [1, 2, 3], true);
  const con = tf.add(tf.mul(tf.sub(x, mean), tf.tensor4d(contrast, [b, 1, 1, 1])), mean);
  const y = tf.add(tf.mul(con, tf.tensor4d(gain, [b, 1, 1, c])), tf.tensor4d(bright, [b, 1, 1, 1]));
  return tf.clipByValue(y, 0, 1) as tf.Tensor4D;
}

/** Flip the samples of NHWC `x` marked in `flipped` horizontally (its own inverse). */
export function unflip(x: tf.Tensor4D, flipped: readonly boolean[]): tf.Tensor4D {
  if (flipped.length !== x.shape[0]) throw new Error(`unflip: flipped has ${flipped.length} entries, the batch has ${x.shape[0]}`);
  if (!flipped.some(Boolean)) return x.clone();
  return scoped('unflip', () => {
    const m = tf.tensor4d(flipped.map((f) => (f ? 1 : 0)), [flipped.length, 1, 1, 1], 'int32');
    return tf.where(tf.cast(m, 'bool'), tf.reverse(x, 2), x) as tf.Tensor4D;
  });
}

/**
 * The IIC baseline's two views of images in [0, 1]: each independently colour-jittered, the second also flipped
 * horizontally per sample with `flipProbability`. Flipping is undone on the prediction ({@link unflip}) so the two
 * predictions are pixel-aligned, as IIC's inverse transform of the output [IIC code/utils/segmentation/transforms.py].
 */
export function iicViews(x: tf.Tensor4D, rng: Rng, options: IicViewOptions = {}): IicViews {
  const j = options.jitter ?? 0.1;
  const pf = options.flipProbability ?? 0.5;
  if (!(j >= 0 && j <= 1)) throw new Error(`iicViews: jitter must be in [0, 1], got ${j}`);
  if (!(pf >= 0 && pf <= 1)) throw new Error(`iicViews: flipProbability must be in [0, 1], got ${pf}`);
  const flipped = Array.from({ length: x.shape[0] }, () => rng.uniform() < pf);
  const views = scoped('iicViews', () => {
    const v1 = jitterOne(x, rng, j);
    const v2 = unflip(jitterOne(x, rng, j), flipped);
    return { v1, v2 };
  });
  return { ...views, flipped };
}
