import * as tf from '@tensorflow/tfjs-core';
import { Module } from '@lel/core';
import { BertModel } from '@lel/models';
import type { BertConfig, BertInputs, BertModelOptions } from '@lel/models';
import { VibHead } from './vib-head';
import type { VibForwardOptions, VibHeadOptions, VibHeadOutput } from './vib-head';

/** Maps an encoder and its inputs to pooled features [B, D] (a new tensor the classifier disposes). */
export type PoolFn<I> = (encoder: Module, inputs: I) => tf.Tensor;

/**
 * Any encoder plus a {@link VibHead} on its pooled output: `encoder.*` and `head.*` parameters, both
 * trainable (VIBERT fine-tunes everything). `pool` says how to get [B, D] features from the encoder.
 */
export class VibClassifier<I> extends Module {
  readonly encoder: Module;
  readonly head: VibHead;
  constructor(
    encoder: Module,
    head: VibHead,
    readonly pool: PoolFn<I>,
  ) {
    super();
    this.encoder = this.registerModule('encoder', encoder);
    this.head = this.registerModule('head', head);
  }

  /** Pool the inputs and run the head (sampling in training mode, μ only in eval mode). */
  forward(inputs: I, options: VibForwardOptions = {}): VibHeadOutput {
    const pooled = this.pool(this.encoder, inputs);
    try {
      return this.head.forward(pooled, options);
    } finally {
      pooled.dispose();
    }
  }
}

/** BERT's pooled [CLS] output (tanh(W h_[CLS] + b)), as VIBERT uses. */
export const bertPooledOutput: PoolFn<BertInputs> = (encoder, inputs) => {
  if (!(encoder instanceof BertModel)) throw new Error('bertPooledOutput: the encoder must be a BertModel');
  const out = encoder.forward(inputs);
  if (!out.poolerOutput) {
    out.lastHiddenState.dispose();
    throw new Error('bertPooledOutput: the BertModel has no pooler (build it with addPoolingLayer: true)');
  }
  out.lastHiddenState.dispose();
  return out.poolerOutput;
};

/**
 * VIBERT: a {@link BertModel} with a {@link VibHead} on its pooled output. The head's dropout defaults to the
 * BERT config's `hiddenDropoutProb`, as the official model.
 */
export function vibBert(
  config: Partial<BertConfig>,
  numLabels: number,
  options: { head?: VibHeadOptions; bert?: BertModelOptions } = {},
): VibClassifier<BertInputs> {
  const bert = new BertModel(config, { ...options.bert, addPoolingLayer: true });
  const head = new VibHead(bert.config.hiddenSize, numLabels, { dropout: bert.config.hiddenDropoutProb, rng: options.bert?.rng, ...options.head });
  return new VibClassifier(bert, head, bertPooledOutput);
}
