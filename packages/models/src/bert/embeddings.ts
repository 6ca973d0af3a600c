import * as tf from '@tensorflow/tfjs-core';
import { Dropout, Embedding, LayerNorm, Module, type TensorModule } from '@lel/core';
import type { BertConfig } from './config';
import { childNamed } from './child-named';

/** HF `BertEmbeddings`: word + position (0..T-1) + token-type embeddings → LayerNorm → dropout. */
export class BertEmbeddings extends Module {
  constructor(readonly config: BertConfig) {
    super();
    this.registerModule('word_embeddings', new Embedding(config.vocabSize, config.hiddenSize));
    this.registerModule('position_embeddings', new Embedding(config.maxPositionEmbeddings, config.hiddenSize));
    this.registerModule('token_type_embeddings', new Embedding(config.typeVocabSize, config.hiddenSize));
    this.registerModule('LayerNorm', new LayerNorm(config.hiddenSize, { eps: config.layerNormEps }));
    this.registerModule('dropout', new Dropout(config.hiddenDropoutProb));
  }

  /** `inputIds`, `tokenTypeIds`: int [B, T] → [B, T, hidden]. */
  forward(inputIds: tf.Tensor, tokenTypeIds: tf.Tensor): tf.Tensor {
    return tf.tidy('BertEmbeddings', () => {
      const t = inputIds.shape[1]!;
      const positions = tf.expandDims(tf.range(0, t, 1, 'int32'), 0);
      // Position embeddings [1, T, d] broadcast over the batch.
      const sum = tf.add(
        tf.add(childNamed<TensorModule>(this, 'word_embeddings').forward(inputIds), childNamed<TensorModule>(this, 'position_embeddings').forward(positions)),
        childNamed<TensorModule>(this, 'token_type_embeddings').forward(tokenTypeIds),
      );
      const normed = childNamed<TensorModule>(this, 'LayerNorm').forward(sum);
      return childNamed<TensorModule>(this, 'dropout').forward(normed);
    });
  }
}
