import * as tf from '@tensorflow/tfjs-core';
import { Dropout, LayerNorm, Linear, Module, type TensorModule } from '@lel/core';
import type { BertConfig } from './config';
import { childNamed } from './child-named';

/**
 * HF `BertSelfAttention`: `query`, `key`, `value` Linear children (looked up by name at call time, so
 * PEFT can replace them); heads split the hidden axis into contiguous blocks of d_head; scores divided by
 * √d_head plus the additive mask, softmax, dropout.
 */
export class BertSelfAttention extends Module {
  readonly numHeads: number;
  readonly headDim: number;
  constructor(readonly config: BertConfig) {
    super();
    this.numHeads = config.numAttentionHeads;
    this.headDim = config.hiddenSize / config.numAttentionHeads;
    this.registerModule('query', new Linear(config.hiddenSize, config.hiddenSize));
    this.registerModule('key', new Linear(config.hiddenSize, config.hiddenSize));
    this.registerModule('value', new Linear(config.hiddenSize, config.hiddenSize));
    this.registerModule('dropout', new Dropout(config.attentionProbsDropoutProb));
  }

  /** `hidden` [B, T, d], `additiveMask` [B, 1, 1, T] (0 or -10000) → context [B, T, d]. */
  forward(hidden: tf.Tensor, additiveMask: tf.Tensor | null): tf.Tensor {
    return tf.tidy('BertSelfAttention', () => {
      const [b, t] = hidden.shape as [number, number, number];
      const split = (x: tf.Tensor) => tf.transpose(tf.reshape(x, [b, t, this.numHeads, this.headDim]), [0, 2, 1, 3]);
      const q = split(childNamed<TensorModule>(this, 'query').forward(hidden));
      // k is transposed explicitly: plain matMul (no transpose flags) is the fast path on wasm.
      const kT = tf.transpose(tf.reshape(childNamed<TensorModule>(this, 'key').forward(hidden), [b, t, this.numHeads, this.headDim]), [0, 2, 3, 1]);
      const v = split(childNamed<TensorModule>(this, 'value').forward(hidden));
      let scores = tf.div(tf.matMul(q, kT), Math.sqrt(this.headDim));
      if (additiveMask) scores = tf.add(scores, additiveMask);
      const probs = childNamed<TensorModule>(this, 'dropout').forward(tf.softmax(scores, -1));
      return tf.reshape(tf.transpose(tf.matMul(probs, v), [0, 2, 1, 3]), [b, t, this.config.hiddenSize]);
    });
  }
}

/** HF `BertSelfOutput`: dense → dropout → residual → LayerNorm. */
export class BertSelfOutput extends Module {
  constructor(config: BertConfig) {
    super();
    this.registerModule('dense', new Linear(config.hiddenSize, config.hiddenSize));
    this.registerModule('LayerNorm', new LayerNorm(config.hiddenSize, { eps: config.layerNormEps }));
    this.registerModule('dropout', new Dropout(config.hiddenDropoutProb));
  }

  forward(hidden: tf.Tensor, input: tf.Tensor): tf.Tensor {
    return tf.tidy('BertSelfOutput', () => {
      const h = childNamed<TensorModule>(this, 'dropout').forward(childNamed<TensorModule>(this, 'dense').forward(hidden));
      return childNamed<TensorModule>(this, 'LayerNorm').forward(tf.add(h, input));
    });
  }
}

/** HF `BertAttention`: `self` then `output`. */
export class BertAttention extends Module {
  constructor(config: BertConfig) {
    super();
    this.registerModule('self', new BertSelfAttention(config));
    this.registerModule('output', new BertSelfOutput(config));
  }

  forward(hidden: tf.Tensor, additiveMask: tf.Tensor | null): tf.Tensor {
    return tf.tidy('BertAttention', () => {
      const ctx = childNamed<BertSelfAttention>(this, 'self').forward(hidden, additiveMask);
      return childNamed<BertSelfOutput>(this, 'output').forward(ctx, hidden);
    });
  }
}
