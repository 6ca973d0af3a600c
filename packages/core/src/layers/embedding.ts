import * as tf from '@tensorflow/tfjs-core';
import './register-gradients';
import { Module } from '../module/module';
import type { Parameter } from '../module/parameter';
import type { Rng } from '../random/rng';
import { checkIntRange } from '../device-checks';
import { scoped } from '../scope';
import { normalInit } from './init';
import { assertInt, assertPositiveInt } from './validate';

/**
 * Row lookup `weight[ids]` (`tf.gather`): the weight gradient is tfjs's gather gradient, an UnsortedSegmentSum of dy
 * into the rows (duplicate ids sum), which `registerLelKernels` adds to wasm.
 * `weight` `[num, dim]`, `ids` int32 of any shape → `[...ids.shape, dim]`. Ids must already be in range.
 */
export function embeddingLookup(weight: tf.Tensor, ids: tf.Tensor): tf.Tensor {
  return scoped('embeddingLookup', () => {
    assertInt('embeddingLookup', 'ids', ids);
    if (weight.rank !== 2) throw new Error(`embeddingLookup: weight must be [num, dim], got shape [${weight.shape}]`);
    const dim = weight.shape[1]!;
    return tf.reshape(tf.gather(weight, tf.reshape(ids, [-1]), 0), [...ids.shape, dim]);
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

  /**
   * ids `[...]` (int32, each in [0, numEmbeddings)) → `[..., embeddingDim]`. An id out of range is an error (at once
   * on cpu/wasm, at the next read on GPU backends: a device-side check).
   */
  forward(ids: tf.Tensor): tf.Tensor {
    assertInt('Embedding', 'ids', ids);
    checkIntRange(ids, 0, this.numEmbeddings, (v, i) => `Embedding: id ${v} at flat position ${i} is out of range [0, ${this.numEmbeddings})`);
    return scoped('Embedding', () => embeddingLookup(this.weight.variable, ids));
  }
}
