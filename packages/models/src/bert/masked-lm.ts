import * as tf from '@tensorflow/tfjs-core';
import { LayerNorm, Linear, Module, gelu, globalRng, type Parameter, type TensorModule } from '@lel/core';
import type { BertConfig } from './config';
import { BertModel, initBertWeights, type BertInputs, type BertModelOptions } from './model';
import { childNamed } from './child-named';

/** HF `BertPredictionHeadTransform`: dense → erf-GELU → LayerNorm. */
export class BertPredictionHeadTransform extends Module {
  constructor(config: BertConfig) {
    super();
    this.registerModule('dense', new Linear(config.hiddenSize, config.hiddenSize));
    this.registerModule('LayerNorm', new LayerNorm(config.hiddenSize, { eps: config.layerNormEps }));
  }
  forward(hidden: tf.Tensor): tf.Tensor {
    return tf.tidy('BertPredictionHeadTransform', () =>
      childNamed<TensorModule>(this, 'LayerNorm').forward(gelu(childNamed<TensorModule>(this, 'dense').forward(hidden))),
    );
  }
}

/** HF `BertLMPredictionHead`: transform, then a decoder tied to the word embeddings plus its own `bias`. */
export class BertLMPredictionHead extends Module {
  readonly bias: Parameter;
  constructor(config: BertConfig) {
    super();
    this.registerModule('transform', new BertPredictionHeadTransform(config));
    this.bias = this.registerParameter('bias', tf.zeros([config.vocabSize]));
  }
  /** hidden [..., d], word embeddings [V, d] → logits [..., V]. */
  forward(hidden: tf.Tensor, wordEmbeddings: tf.Tensor): tf.Tensor {
    return tf.tidy('BertLMPredictionHead', () => {
      const h = childNamed<BertPredictionHeadTransform>(this, 'transform').forward(hidden);
      const d = h.shape[h.rank - 1]!;
      // Transpose explicitly: matMul without transpose flags is the fast path on wasm.
      const logits = tf.add(tf.matMul(tf.reshape(h, [-1, d]), tf.transpose(wordEmbeddings)), this.bias.variable);
      return tf.reshape(logits, [...h.shape.slice(0, -1), wordEmbeddings.shape[0]!]);
    });
  }
}

/** HF `BertOnlyMLMHead` (`cls`), holding `predictions`. */
export class BertOnlyMLMHead extends Module {
  constructor(config: BertConfig) {
    super();
    this.registerModule('predictions', new BertLMPredictionHead(config));
  }
}

/**
 * BERT with a masked-language-modelling head (HF `BertForMaskedLM` names: `cls.predictions.transform.*`,
 * `cls.predictions.bias`; the decoder is tied to `embeddings.word_embeddings.weight`). Keeps the pooler
 * (unlike HF's BertForMaskedLM) so the saved file also fills a classification model's `pooler.dense`.
 */
export class BertForMaskedLM extends BertModel {
  constructor(config: Partial<BertConfig> = {}, options: BertModelOptions = {}) {
    super(config, options);
    const cls = this.registerModule('cls', new BertOnlyMLMHead(this.config));
    initBertWeights(cls, this.config.initializerRange, options.rng ?? globalRng());
  }

  /**
   * Vocabulary logits. With `positions` (flat indices b·T + t of the masked tokens) only those rows are
   * decoded — [P, V] — which is what MLM training needs; otherwise [B, T, V].
   */
  mlmLogits(inputs: BertInputs, positions?: tf.Tensor): tf.Tensor {
    return tf.tidy('BertForMaskedLM', () => {
      const h = this.forward(inputs).lastHiddenState;
      const d = this.config.hiddenSize;
      const rows = positions ? tf.gather(tf.reshape(h, [-1, d]), tf.cast(positions, 'int32')) : h;
      const head = childNamed<BertLMPredictionHead>(childNamed<Module>(this, 'cls'), 'predictions');
      return head.forward(rows, this.getParameter('embeddings.word_embeddings.weight').variable);
    });
  }
}
