import * as tf from '@tensorflow/tfjs-core';
import { Linear, Module, globalRng, type TensorModule } from '@lel/core';
import type { BertConfig } from './config';
import { BertModel, initBertWeights, type BertInputs, type BertModelOptions } from './model';
import { BertLMPredictionHead } from './masked-lm';
import { childNamed } from './child-named';

/** HF `BertPreTrainingHeads` (`cls`): the MLM head `predictions` and the next-sentence head `seq_relationship`. */
export class BertPreTrainingHeads extends Module {
  constructor(config: BertConfig) {
    super();
    this.registerModule('predictions', new BertLMPredictionHead(config));
    this.registerModule('seq_relationship', new Linear(config.hiddenSize, 2));
  }
}

/** Outputs of {@link BertForPreTraining.pretrainingLogits}; the caller owns both. */
export interface PretrainingLogits {
  /** Vocabulary logits of the masked positions [P, V]. */
  mlm: tf.Tensor;
  /** Next-sentence logits on the pooled [CLS] [B, 2] (class 0 = B follows A, HF's convention). */
  nsp: tf.Tensor;
}

/**
 * BERT with both pretraining heads, HF `BertForPreTraining` names (`cls.predictions.*` with the decoder tied to
 * the word embeddings, `cls.seq_relationship.*`): masked LM plus next-sentence prediction, the objective that
 * trains the pooler so [CLS] carries sentence-level meaning. Its checkpoints load into a classifier
 * (`loadPretrainedBert`) with the heads ignored.
 */
export class BertForPreTraining extends BertModel {
  constructor(config: Partial<BertConfig> = {}, options: BertModelOptions = {}) {
    super(config, { ...options, addPoolingLayer: true });
    const cls = this.registerModule('cls', new BertPreTrainingHeads(this.config));
    initBertWeights(cls, this.config.initializerRange, options.rng ?? globalRng());
  }

  /** MLM logits at the flat positions `positions` (b·T + t) and NSP logits of every pair. */
  pretrainingLogits(inputs: BertInputs, positions: tf.Tensor): PretrainingLogits {
    const out = this.forward(inputs);
    try {
      return tf.tidy('BertForPreTraining', () => {
        const d = this.config.hiddenSize;
        const rows = tf.gather(tf.reshape(out.lastHiddenState, [-1, d]), tf.cast(positions, 'int32'));
        const cls = childNamed<Module>(this, 'cls');
        const mlm = childNamed<BertLMPredictionHead>(cls, 'predictions').forward(rows, this.getParameter('embeddings.word_embeddings.weight').variable);
        const nsp = childNamed<TensorModule>(cls, 'seq_relationship').forward(out.poolerOutput!);
        return { mlm, nsp };
      });
    } finally {
      tf.dispose([out.lastHiddenState, out.poolerOutput!]);
    }
  }
}
