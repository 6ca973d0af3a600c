import * as tf from '@tensorflow/tfjs-core';
import { crossEntropy } from '@lel/core';
import type { BertForPreTraining } from '../bert/pre-training';
import { batchTensors, type PretrainingBatch } from './pretraining-batch';

/** MLM + NSP loss parts of a batch. */
export interface PretrainingLossParts {
  total: tf.Scalar;
  mlm: tf.Scalar;
  nsp: tf.Scalar;
}

/**
 * BERT's pretraining loss: masked-LM cross-entropy (mean over the masked tokens) + next-sentence cross-entropy
 * (mean over the pairs). `scale` (`{ maskedTotal, batchSize }`) rescales a shard's loss so that data-parallel
 * shards, weighted by their pair counts, add up to the whole batch's loss exactly: the MLM sum is divided by the
 * batch's masked-token count and multiplied by batchSize / shard size.
 */
export function pretrainingLoss(model: BertForPreTraining, batch: PretrainingBatch, scale?: { maskedTotal: number; batchSize: number }): PretrainingLossParts {
  const t = batchTensors(batch);
  try {
    return tf.tidy(() => {
      const { mlm, nsp } = model.pretrainingLogits({ inputIds: t.inputIds, tokenTypeIds: t.tokenTypeIds, attentionMask: t.attentionMask }, t.positions);
      const nspLoss = crossEntropy(nsp, t.nextSentenceLabels) as tf.Scalar;
      let mlmLoss: tf.Scalar;
      if (batch.positions.length === 0) mlmLoss = tf.scalar(0);
      else if (scale) mlmLoss = tf.mul(crossEntropy(mlm, t.labels, { reduction: 'sum' }), scale.batchSize / (scale.maskedTotal * batch.inputIds.length)) as tf.Scalar;
      else mlmLoss = crossEntropy(mlm, t.labels) as tf.Scalar;
      return { total: tf.add(mlmLoss, nspLoss) as tf.Scalar, mlm: mlmLoss, nsp: nspLoss };
    });
  } finally {
    tf.dispose(Object.values(t));
  }
}
