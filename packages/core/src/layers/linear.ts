import * as tf from '@tensorflow/tfjs-core';
import './register-gradients';
import { Module, type TensorModule } from '../module/module';
import type { Parameter } from '../module/parameter';
import type { Rng } from '../random/rng';
import { scoped } from '../scope';
import { kaimingUniform, uniformInit } from './init';
import { assertLastDim, assertMinRank, assertPositiveInt } from './validate';

/** Options of {@link Linear}. */
export interface LinearOptions {
  /** Add a learnable bias (default true). */
  bias?: boolean;
  /** Generator for the initial weights (default the global one). */
  rng?: Rng;
}

/**
 * y = x·W + b over the last axis (`torch.nn.Linear`). `weight` is `[in, out]` (PyTorch's transposed), `bias` `[out]`.
 * Initialised as PyTorch: W ~ kaiming-uniform(a = √5) = U(±1/√in), b ~ U(±1/√in).
 */
export class Linear extends Module implements TensorModule {
  readonly weight: Parameter;
  readonly bias: Parameter | null;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    options: LinearOptions = {},
  ) {
    super();
    assertPositiveInt('Linear', 'inFeatures', inFeatures);
    assertPositiveInt('Linear', 'outFeatures', outFeatures);
    this.weight = this.registerParameter('weight', kaimingUniform([inFeatures, outFeatures], { a: Math.sqrt(5), rng: options.rng }));
    const bound = 1 / Math.sqrt(inFeatures);
    this.bias = options.bias ?? true ? this.registerParameter('bias', uniformInit([outFeatures], -bound, bound, options.rng)) : null;
  }

  /** x `[..., in]` → `[..., out]`. */
  forward(x: tf.Tensor): tf.Tensor {
    return scoped('Linear', () => linear(x, this.weight.variable, this.bias?.variable ?? null));
  }
}

/** Functional dense layer: x `[..., in]` · w `[in, out]` (+ b `[out]`). */
export function linear(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor | null = null): tf.Tensor {
  return scoped('linear', () => {
    assertMinRank('linear', 'x', x, 1);
    if (w.rank !== 2) throw new Error(`linear: weight must be [in, out], got shape [${w.shape}]`);
    assertLastDim('linear', 'x', x, w.shape[0]!);
    const lead = x.shape.slice(0, -1);
    // matMul without transpose flags: the fast XNNPACK path on wasm.
    const x2 = x.rank === 2 ? x : tf.reshape(x, [-1, w.shape[0]!]);
    let y: tf.Tensor = tf.matMul(x2 as tf.Tensor2D, w as tf.Tensor2D);
    if (b) y = tf.add(y, b);
    return x.rank === 2 ? y : tf.reshape(y, [...lead, w.shape[1]!]);
  });
}
