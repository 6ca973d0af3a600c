import * as tf from '@tensorflow/tfjs-core';
import { globalRng, scoped, type Rng } from '@lel/core';

/**
 * SCL's (RFS/MetaOptNet) DropBlock keep-rate schedule: keep = max(1 − dropRate·n/totalSteps, 1 − dropRate),
 * n = training batches seen by the block; SCL uses totalSteps = 20·2000 = 40000.
 */
export function dropBlockKeepRate(dropRate: number, batchesSeen: number, totalSteps = 40000): number {
  return Math.max(1 - (dropRate * batchesSeen) / totalSteps, 1 - dropRate);
}

/** γ = (1 − keep)/bs² · f²/(f − bs + 1)², the seed probability giving ≈ (1 − keep) dropped units on an f×f map. */
export function dropBlockGamma(keepRate: number, blockSize: number, featSize: number): number {
  if (featSize < blockSize) throw new Error(`dropBlockGamma: feature size ${featSize} is smaller than blockSize ${blockSize}`);
  return ((1 - keepRate) / blockSize ** 2) * (featSize ** 2 / (featSize - blockSize + 1) ** 2);
}

/**
 * DropBlock as coded in SCL/RFS (training): seeds ~ Bernoulli(γ) on the (H − bs + 1)×(W − bs + 1) positions of
 * every (sample, channel); each seed at (i, j) zeroes the block rows i..i+bs−1, columns j..j+bs−1; survivors are
 * scaled by numel/kept. NHWC; `seeds` may be given (for tests) as 0/1 [N, H−bs+1, W−bs+1, C].
 */
export function dropBlock(x: tf.Tensor, gamma: number, blockSize: number, options: { rng?: Rng; seeds?: tf.Tensor } = {}): tf.Tensor {
  return scoped('dropBlock', () => {
    if (x.rank !== 4) throw new Error(`dropBlock: x must be NHWC, got shape [${x.shape}]`);
    const [n, h, w, c] = x.shape as [number, number, number, number];
    const seedShape = [n, h - blockSize + 1, w - blockSize + 1, c];
    if (seedShape[1]! < 1 || seedShape[2]! < 1) throw new Error(`dropBlock: blockSize ${blockSize} exceeds the ${h}×${w} map`);
    const seeds = options.seeds ?? (options.rng ?? globalRng()).bernoulliTensor(seedShape, gamma);
    if (!tf.util.arraysEqual(seeds.shape, seedShape)) throw new Error(`dropBlock: seeds must be [${seedShape}], got [${seeds.shape}]`);
    // Pad bs−1 on every side, then a stride-1 bs×bs max: output (p, q) is covered by seeds in [p−bs+1, p]×[q−bs+1, q].
    const p = blockSize - 1;
    const padded = tf.pad(seeds, [[0, 0], [p, p], [p, p], [0, 0]]);
    const covered = blockSize > 1 ? tf.maxPool(padded as tf.Tensor4D, blockSize, 1, 'valid') : padded;
    const keep = tf.sub(1, covered);
    const kept = tf.sum(keep);
    // All dropped (only at absurd γ): return zeros rather than NaN.
    const scale = tf.div(tf.scalar(keep.size), tf.maximum(kept, 1));
    return tf.mul(tf.mul(x, keep), scale);
  });
}
