import * as tf from '@tensorflow/tfjs-core';
import { Dropout, Linear, globalRng, type TensorModule } from '@lel/core';
import type { BertConfig } from './config';
import { BertModel, initBertWeights, type BertInputs, type BertModelOptions } from './model';
import { childNamed } from './child-named';

/** Outputs of {@link BertForSequenceClassification.forward}; the caller owns every tensor. */
export interface SequenceClassifierOutput {
  /** [B, numLabels]. */
  logits: tf.Tensor;
  lastHiddenState: tf.Tensor;
  poolerOutput: tf.Tensor;
  hiddenStates?: tf.Tensor[];
}

/** Options of {@link BertForSequenceClassification}. */
export interface BertForSequenceClassificationOptions extends BertModelOptions {
  /** Number of classes (default 2). */
  numLabels?: number;
  /** Dropout before the classifier (default: config.hiddenDropoutProb, as HF). */
  classifierDropout?: number;
}

/**
 * HF `BertForSequenceClassification`: BertModel → dropout(pooler_output) → `classifier` Linear. The
 * parameters are the BertModel's plus `classifier.weight` [hidden, numLabels] and `classifier.bias`.
 */
export class BertForSequenceClassification extends BertModel {
  readonly numLabels: number;
  constructor(config: Partial<BertConfig> = {}, options: BertForSequenceClassificationOptions = {}) {
    super(config, { ...options, addPoolingLayer: true });
    this.numLabels = options.numLabels ?? 2;
    this.registerModule('dropout', new Dropout(options.classifierDropout ?? this.config.hiddenDropoutProb));
    const classifier = this.registerModule('classifier', new Linear(this.config.hiddenSize, this.numLabels));
    initBertWeights(classifier, this.config.initializerRange, options.rng ?? globalRng());
  }

  /** Encoder, pooler and classifier logits. */
  override forward(inputs: BertInputs, options: { outputHiddenStates?: boolean } = {}): SequenceClassifierOutput {
    const base = super.forward(inputs, options);
    const pooled = base.poolerOutput!;
    const logits = tf.tidy('BertForSequenceClassification', () =>
      childNamed<TensorModule>(this, 'classifier').forward(childNamed<TensorModule>(this, 'dropout').forward(pooled)),
    );
    return { ...base, poolerOutput: pooled, logits };
  }
}
