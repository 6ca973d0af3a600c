import * as tf from '@tensorflow/tfjs-core';
import { Dropout, Linear, Module, globalRng, scoped } from '@lel/core';
import type { Rng } from '@lel/core';
import { assertFloatRank } from './validate';

/** Options of {@link GatedAttentionPool}. */
export interface GatedAttentionPoolOptions {
  /** Dropout (p = 0.25) inside both attention branches in training, as CLAM's `dropout=True`. Default 0. */
  dropout?: number;
  /** Generator for the initial weights (default: the global one). */
  rng?: Rng;
  /**
   * Generator for the dropout masks (default: the global one at call time); the `dropout` module registers it
   * (`dropout.rng`) when `dropout` > 0, so checkpoints save its state and a resumed `fit` draws the same masks.
   */
  dropoutRng?: Rng;
}

/** What {@link GatedAttentionPool.forward} returns; the caller disposes every tensor. */
export interface GatedAttentionOutput {
  /** Attention scores before the softmax [1, N]. */
  attentionRaw: tf.Tensor2D;
  /** Softmax over the N instances [1, N]. */
  attention: tf.Tensor2D;
  /** Pooled bag feature M = attention · h [1, L]. */
  pooled: tf.Tensor2D;
  /** Bag logits [1, C]. */
  logits: tf.Tensor2D;
  /** softmax(logits) [1, C]. */
  probabilities: tf.Tensor2D;
}

/**
 * CLAM-SB's gated attention pooling and bag classifier (Lu et al. 2021, `mahmoodlab/CLAM:models/model_clam.py`,
 * `Attn_Net_Gated` with one attention branch): a = tanh(h W_a + b_a), g = σ(h W_b + b_b), raw scores
 * (a ⊙ g) W_c + b_c, softmax over the N instances, M = attention · h, logits = M W_cls + b_cls.
 */
export class GatedAttentionPool extends Module {
  readonly attentionA: Linear;
  readonly attentionB: Linear;
  readonly attentionC: Linear;
  readonly classifier: Linear;
  readonly dropout: Dropout;

  /**
   * @param featureDim L, instance feature size
   * @param attentionDim D, gated-attention width (CLAM "small": 256)
   * @param numClasses C
   */
  constructor(
    readonly featureDim: number,
    readonly attentionDim: number,
    readonly numClasses: number,
    options: GatedAttentionPoolOptions = {},
  ) {
    super();
    const rng = options.rng ?? globalRng();
    this.attentionA = this.registerModule('attention_a', new Linear(featureDim, attentionDim, { rng }));
    this.attentionB = this.registerModule('attention_b', new Linear(featureDim, attentionDim, { rng }));
    this.attentionC = this.registerModule('attention_c', new Linear(attentionDim, 1, { rng }));
    this.classifier = this.registerModule('classifier', new Linear(featureDim, numClasses, { rng }));
    this.dropout = this.registerModule('dropout', new Dropout(options.dropout ?? 0, options.dropoutRng));
  }

  /** Attention pooling and classification of one bag h [N, L] (N ≥ 1). */
  forward(h: tf.Tensor): GatedAttentionOutput {
    assertFloatRank('GatedAttentionPool', 'h', h, 2, '[instances, features]');
    if (h.shape[0] === 0) throw new Error('GatedAttentionPool: the bag is empty (h has 0 instances)');
    if (h.shape[1] !== this.featureDim) throw new Error(`GatedAttentionPool: h has ${h.shape[1]} features, the pool was built for ${this.featureDim}`);
    return scoped('GatedAttentionPool', () => {
      const a = this.dropout.forward(tf.tanh(this.attentionA.forward(h)));
      const g = this.dropout.forward(tf.sigmoid(this.attentionB.forward(h)));
      const attentionRaw = tf.transpose(this.attentionC.forward(tf.mul(a, g))) as tf.Tensor2D;
      const attention = tf.softmax(attentionRaw, -1) as tf.Tensor2D;
      const pooled = tf.matMul(attention, h as tf.Tensor2D) as tf.Tensor2D;
      const logits = this.classifier.forward(pooled) as tf.Tensor2D;
      return { attentionRaw, attention, pooled, logits, probabilities: tf.softmax(logits, -1) as tf.Tensor2D };
    });
  }
}
