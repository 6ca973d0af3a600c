import * as tf from '@tensorflow/tfjs-core';
import './register-gradients';
import { Module } from '../module/module';
import type { Parameter } from '../module/parameter';
import type { Rng } from '../random/rng';
import { scoped } from '../scope';
import { normalInit } from './init';
import { assertInt, assertPositiveInt } from './validate';

/**
 * Row lookup `weight[ids]` with a gradient on every backend: tfjs's gather gradient needs UnsortedSegmentSum,
 * which wasm lacks, so the weight gradient is a scatterND of dy into the rows (duplicate ids sum).
 * `weight` `[num, dim]`, `ids` int32 of any shape → `[...ids.shape, dim]`. Ids must already be in range.
 */
export function embeddingLookup(weight: tf.Tensor, ids: tf.Tensor): tf.Tensor {
  return scoped('embeddingLookup', () => {
    assertInt('embeddingLookup', 'ids', ids);
    if (weight.rank !== 2) throw new Error(`embeddingLookup: weight must be [num, dim], got shape [${weight.shape}]`);
    const [num, dim] = weight.shape as [number, number];
    const flat = tf.reshape(ids, [-1]);
    const m = flat.shape[0]!;
    const f = tf.customGrad((...args: unknown[]) => {
      const [w, save] = args as [tf.Tensor2D, tf.GradSaveFunc];
      // Saved so the ids outlive this scope until backprop.
      save([flat]);
      const value = tf.gather(w, flat, 0);
      const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor =>
        tf.scatterND(tf.reshape(saved[0]!, [m, 1]), tf.reshape(dy, [m, dim]), [num, dim]);
      return { value, gradFunc };
    });
    return tf.reshape(f(weight), [...ids.shape, dim]);
  });
}

/** `torch.nn.Embedding(num, dim)`: `weight` `[num, dim]` initialised N(0, 1) as PyTorch; int32 ids of any shape. */
export class Embedding extends Module {
  readonly weight: Parameter;

  constructor(
    readonly numEmbeddings: number,
    readonly embeddingDim: number,
    options: { rng?: Rng } = {},
  ) {
    super();
    assertPositiveInt('Embedding', 'numEmbeddings', numEmbeddings);
    assertPositiveInt('Embedding', 'embeddingDim', embeddingDim);
    this.weight = this.registerParameter('weight', normalInit([numEmbeddings, embeddingDim], 0, 1, options.rng));
  }

  /** ids `[...]` (int32, each in [0, numEmbeddings)) → `[..., embeddingDim]`. Reads ids to validate the range. */
  forward(ids: tf.Tensor): tf.Tensor {
    assertInt('Embedding', 'ids', ids);
    const data = ids.dataSync();
    for (let i = 0; i < data.length; i++) {
      const v = data[i]!;
      if (v < 0 || v >= this.numEmbeddings) {
        throw new Error(`Embedding: id ${v} at flat position ${i} is out of range [0, ${this.numEmbeddings})`);
      }
    }
    return scoped('Embedding', () => embeddingLookup(this.weight.variable, ids));
  }
}
