import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@lel/core';
import type { BertForPreTraining } from '../bert/pre-training';
import type { WordPieceTokenizer } from '../tokenizer/wordpiece';
import { batchTensors, makePretrainingBatch } from './pretraining-batch';

/**
 * Held-out pretraining metrics of `model` (eval mode) on fixed pairs and masks drawn from `docs` with `seed`:
 * masked-LM cross-entropy (mean over every masked token), NSP cross-entropy and accuracy. The same docs, seed
 * and sizes give the same pairs and masks, so two checkpoints are compared on identical inputs.
 */
export async function heldOutPretrainingLoss(
  model: BertForPreTraining,
  tokenizer: WordPieceTokenizer,
  docs: readonly (readonly number[])[],
  options: { batches?: number; batchSize?: number; half?: number; seed?: number } = {},
): Promise<{ mlm: number; nsp: number; nspAccuracy: number }> {
  const rng = new Rng(`held-out/${options.seed ?? 0}`);
  const tokens = { clsId: tokenizer.clsId, sepId: tokenizer.sepId, padId: tokenizer.padId, maskId: tokenizer.maskId };
  const wasTraining = model.training;
  model.eval();
  let mlmSum = 0;
  let masked = 0;
  let nspSum = 0;
  let hits = 0;
  let pairs = 0;
  try {
    for (let i = 0; i < (options.batches ?? 8); i++) {
      const b = makePretrainingBatch(docs, rng, { batchSize: options.batchSize ?? 32, half: options.half ?? 62, tokens, vocabSize: tokenizer.vocabSize });
      const t = batchTensors(b);
      const [m, n, h] = tf.tidy(() => {
        const { mlm, nsp } = model.pretrainingLogits({ inputIds: t.inputIds, tokenTypeIds: t.tokenTypeIds, attentionMask: t.attentionMask }, t.positions);
        const nll = (logits: tf.Tensor, y: tf.Tensor) => tf.neg(tf.sum(tf.mul(tf.oneHot(y, logits.shape[1]!), tf.logSoftmax(logits))));
        return [nll(mlm, t.labels), nll(nsp, t.nextSentenceLabels), tf.sum(tf.cast(tf.equal(tf.argMax(nsp, -1), t.nextSentenceLabels), 'float32'))];
      });
      mlmSum += (await m.data())[0]!;
      nspSum += (await n.data())[0]!;
      hits += (await h.data())[0]!;
      masked += b.positions.length;
      pairs += b.inputIds.length;
      tf.dispose([m, n, h, ...Object.values(t)]);
    }
  } finally {
    model.train(wasTraining);
  }
  return { mlm: mlmSum / Math.max(1, masked), nsp: nspSum / Math.max(1, pairs), nspAccuracy: hits / Math.max(1, pairs) };
}
