import * as tf from '@tensorflow/tfjs-core';
import './register-gradients';
import { Module, type TensorModule } from '../module/module';
import type { Parameter } from '../module/parameter';
import { fusedBatchNormTrain } from '../kernels/webgpu/batch-norm';
import { scoped } from '../scope';
import { assertFloat, assertLastDim, assertPositiveInt, assertRank } from './validate';

/** Options of {@link BatchNorm2d}. */
export interface BatchNorm2dOptions {
  eps?: number;
  /** Weight of the new batch statistic in the running averages (PyTorch's momentum, default 0.1). */
  momentum?: number;
  /** Learnable per-channel scale `weight` and shift `bias` (default true). */
  affine?: boolean;
}

/**
 * `torch.nn.BatchNorm2d` on NHWC (statistics per channel over N, H, W). Training mode normalises with the batch
 * mean and biased variance and updates the buffers `running_mean` / `running_var` (the latter with the unbiased
 * variance, n/(n−1)); evaluation mode normalises with the running statistics. Parameters `weight` (γ, ones) and
 * `bias` (β, zeros).
 */
export class BatchNorm2d extends Module implements TensorModule {
  readonly weight: Parameter | null;
  readonly bias: Parameter | null;
  readonly runningMean: tf.Variable;
  readonly runningVar: tf.Variable;
  readonly eps: number;
  readonly momentum: number;

  constructor(
    readonly numFeatures: number,
    options: BatchNorm2dOptions = {},
  ) {
    super();
    assertPositiveInt('BatchNorm2d', 'numFeatures', numFeatures);
    this.eps = options.eps ?? 1e-5;
    this.momentum = options.momentum ?? 0.1;
    if (!(this.eps >= 0)) throw new Error(`BatchNorm2d: eps must be >= 0, got ${this.eps}`);
    if (!(this.momentum >= 0 && this.momentum <= 1)) throw new Error(`BatchNorm2d: momentum must be in [0, 1], got ${this.momentum}`);
    const affine = options.affine ?? true;
    this.weight = affine ? this.registerParameter('weight', tf.ones([numFeatures])) : null;
    this.bias = affine ? this.registerParameter('bias', tf.zeros([numFeatures])) : null;
    this.runningMean = this.registerBuffer('running_mean', tf.zeros([numFeatures]));
    this.runningVar = this.registerBuffer('running_var', tf.ones([numFeatures]));
  }

  /** x `[N, H, W, C]` → same shape. In training mode also updates the running statistics. */
  forward(x: tf.Tensor): tf.Tensor {
    return scoped('BatchNorm2d', () => {
      assertRank('BatchNorm2d', 'x', x, 4, 'NHWC');
      assertFloat('BatchNorm2d', 'x', x);
      assertLastDim('BatchNorm2d', 'x (channels)', x, this.numFeatures);
      let mean: tf.Tensor;
      let variance: tf.Tensor;
      if (this.training) {
        const [n, h, w] = x.shape as number[];
        const count = n! * h! * w!;
        if (count < 2) throw new Error(`BatchNorm2d: training needs more than 1 value per channel, got x of shape [${x.shape}]`);
        // One fused kernel pair on webgpu (same two-pass statistics and running-statistics update).
        const fused = fusedBatchNormTrain(x, this.weight?.variable ?? null, this.bias?.variable ?? null, this.runningMean, this.runningVar, this.eps, this.momentum);
        if (fused) {
          this.runningMean.assign(fused.runMean);
          this.runningVar.assign(fused.runVar);
          return fused.y;
        }
        mean = tf.mean(x, [0, 1, 2]);
        variance = tf.mean(tf.square(tf.sub(x, mean)), [0, 1, 2]);
        const m = this.momentum;
        // Running statistics are state, not part of the graph (variable assignment is never differentiated).
        const unbiased = tf.mul(variance, count / (count - 1));
        this.runningMean.assign(tf.add(tf.mul(this.runningMean, 1 - m), tf.mul(mean, m)));
        this.runningVar.assign(tf.add(tf.mul(this.runningVar, 1 - m), tf.mul(unbiased, m)));
      } else {
        mean = this.runningMean;
        variance = this.runningVar;
      }
      let y = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, this.eps)));
      if (this.weight && this.bias) y = tf.add(tf.mul(y, this.weight.variable), this.bias.variable);
      return y;
    });
  }
}
