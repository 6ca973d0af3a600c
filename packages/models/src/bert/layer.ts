import * as tf from '@tensorflow/tfjs-core';
import { Dropout, LayerNorm, Linear, Module, ModuleList, gelu, type TensorModule } from '@lel/core';
import { BertAttention } from './attention';
import type { BertConfig } from './config';
import { childNamed } from './child-named';

/** HF `BertIntermediate`: dense (hidden → intermediate) → erf-GELU. */
export class BertIntermediate extends Module {
  constructor(config: BertConfig) {
    super();
    this.registerModule('dense', new Linear(config.hiddenSize, config.intermediateSize));
  }
  forward(hidden: tf.Tensor): tf.Tensor {
    return tf.tidy('BertIntermediate', () => gelu(childNamed<TensorModule>(this, 'dense').forward(hidden)));
  }
}

/** HF `BertOutput`: dense (intermediate → hidden) → dropout → residual → LayerNorm. */
export class BertOutput extends Module {
  constructor(config: BertConfig) {
    super();
    this.registerModule('dense', new Linear(config.intermediateSize, config.hiddenSize));
    this.registerModule('LayerNorm', new LayerNorm(config.hiddenSize, { eps: config.layerNormEps }));
    this.registerModule('dropout', new Dropout(config.hiddenDropoutProb));
  }
  forward(hidden: tf.Tensor, input: tf.Tensor): tf.Tensor {
    return tf.tidy('BertOutput', () => {
      const h = childNamed<TensorModule>(this, 'dropout').forward(childNamed<TensorModule>(this, 'dense').forward(hidden));
      return childNamed<TensorModule>(this, 'LayerNorm').forward(tf.add(h, input));
    });
  }
}

/** HF `BertLayer`: attention → intermediate → output. */
export class BertLayer extends Module {
  constructor(config: BertConfig) {
    super();
    this.registerModule('attention', new BertAttention(config));
    this.registerModule('intermediate', new BertIntermediate(config));
    this.registerModule('output', new BertOutput(config));
  }
  forward(hidden: tf.Tensor, additiveMask: tf.Tensor | null): tf.Tensor {
    return tf.tidy('BertLayer', () => {
      const a = childNamed<BertAttention>(this, 'attention').forward(hidden, additiveMask);
      const i = childNamed<BertIntermediate>(this, 'intermediate').forward(a);
      return childNamed<BertOutput>(this, 'output').forward(i, a);
    });
  }
}

/** HF `BertEncoder`: `layer.0 … layer.{L-1}`. */
export class BertEncoder extends Module {
  readonly layer: ModuleList<BertLayer>;
  constructor(config: BertConfig) {
    super();
    this.layer = this.registerModule('layer', new ModuleList<BertLayer>());
    for (let i = 0; i < config.numHiddenLayers; i++) this.layer.push(new BertLayer(config));
  }
  /** Returns every layer's output (the last is `last_hidden_state`). */
  forward(hidden: tf.Tensor, additiveMask: tf.Tensor | null): tf.Tensor[] {
    return tf.tidy('BertEncoder', () => {
      const outs: tf.Tensor[] = [];
      let h = hidden;
      for (let i = 0; i < this.layer.length; i++) {
        h = childNamed<BertLayer>(this.layer, String(i)).forward(h, additiveMask);
        outs.push(h);
      }
      return outs;
    });
  }
}
