import * as tf from '@tensorflow/tfjs-core';
import './register-gradients';
import { Module, type TensorModule } from '../module/module';
import type { Parameter } from '../module/parameter';
import { fusedLayerNorm } from '../kernels/webgpu/layer-norm';
import { scoped } from '../scope';
import { assertFloat, assertLastDim, assertMinRank, assertPositiveInt } from './validate';

/**
 * Layer norm over the last axis: (x − mean)/√(var + eps)·γ + β with the biased variance (`F.layer_norm`).
 * `gamma`/`beta` `[D]` may be null (no affine).
 */
export function layerNorm(x: tf.Tensor, gamma: tf.Tensor | null, beta: tf.Tensor | null, eps = 1e-5): tf.Tensor {
  return scoped('layerNorm', () => {
    assertMinRank('layerNorm', 'x', x, 1);
    assertFloat('layerNorm', 'x', x);
    const d = x.shape[x.rank - 1]!;
    if (gamma && (gamma.rank !== 1 || gamma.shape[0] !== d)) throw new Error(`layerNorm: gamma must be [${d}], got shape [${gamma.shape}]`);
    if (beta && (beta.rank !== 1 || beta.shape[0] !== d)) throw new Error(`layerNorm: beta must be [${d}], got shape [${beta.shape}]`);
    // One fused kernel on webgpu (same two-pass statistics, float32 rounding differences only).
    const fused = fusedLayerNorm(x, gamma, beta, eps);
    if (fused) return fused;
    const axis = x.rank - 1;
    const mean = tf.mean(x, axis, true);
    const centred = tf.sub(x, mean);
    const variance = tf.mean(tf.square(centred), axis, true);
    let y = tf.mul(centred, tf.rsqrt(tf.add(variance, eps)));
    if (gamma) y = tf.mul(y, gamma);
    if (beta) y = tf.add(y, beta);
    return y;
  });
}

/** `torch.nn.LayerNorm(dim, eps)` over the last axis; parameters `weight` (ones) and `bias` (zeros). */
export class LayerNorm extends Module implements TensorModule {
  readonly weight: Parameter;
  readonly bias: Parameter;
  readonly eps: number;

  constructor(
    readonly dim: number,
    options: { eps?: number } = {},
  ) {
    super();
    assertPositiveInt('LayerNorm', 'dim', dim);
    this.eps = options.eps ?? 1e-5;
    this.weight = this.registerParameter('weight', tf.ones([dim]));
    this.bias = this.registerParameter('bias', tf.zeros([dim]));
  }

  /** x `[..., dim]` → same shape. */
  forward(x: tf.Tensor): tf.Tensor {
    return scoped('LayerNorm', () => {
      assertMinRank('LayerNorm', 'x', x, 1);
      assertLastDim('LayerNorm', 'x', x, this.dim);
      return layerNorm(x, this.weight.variable, this.bias.variable, this.eps);
    });
  }
}
