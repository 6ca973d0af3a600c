import * as tf from '@tensorflow/tfjs-core';
import type { TextClassificationData } from '@lel/datasets';
import type { BertInputs, WordPieceTokenizer } from '@lel/models';

/** Accuracy and mean cross-entropy of a classifier on a text set. */
export interface TextScore {
  accuracy: number;
  loss: number;
}

/** Padded int32 inputs of `texts` (the caller disposes them). */
export function encodeTexts(tokenizer: WordPieceTokenizer, texts: readonly string[], maxLength: number): { inputIds: tf.Tensor; attentionMask: tf.Tensor; tokenTypeIds: tf.Tensor } {
  const e = tokenizer.encodeBatch(texts, { maxLength, truncation: 'longest_first', padding: 'longest' });
  const t = e.inputIds[0]!.length;
  return {
    inputIds: tf.tensor2d(e.inputIds, [texts.length, t], 'int32'),
    attentionMask: tf.tensor2d(e.attentionMask, [texts.length, t], 'int32'),
    tokenTypeIds: tf.tensor2d(e.tokenTypeIds, [texts.length, t], 'int32'),
  };
}

/**
 * Accuracy and mean cross-entropy of `logitsOf(inputs)` (eval mode; the model's mode is the caller's business) on
 * `data`, in batches, reading results asynchronously.
 */
export async function scoreText(
  logitsOf: (inputs: BertInputs) => tf.Tensor,
  tokenizer: WordPieceTokenizer,
  data: TextClassificationData,
  options: { maxLength: number; batchSize?: number },
): Promise<TextScore> {
  const bs = options.batchSize ?? 64;
  let correct = 0;
  let lossSum = 0;
  for (let s = 0; s < data.texts.length; s += bs) {
    const texts = data.texts.slice(s, s + bs);
    const inputs = encodeTexts(tokenizer, texts, options.maxLength);
    const y = tf.tensor1d(Array.from(data.labels.subarray(s, s + texts.length)), 'int32');
    const [hits, ce] = tf.tidy(() => {
      const logits = logitsOf(inputs);
      const h = tf.sum(tf.cast(tf.equal(tf.argMax(logits, -1), y), 'float32'));
      const nll = tf.neg(tf.sum(tf.mul(tf.oneHot(y, logits.shape[1]!), tf.logSoftmax(logits))));
      return [h, nll];
    });
    correct += (await hits.data())[0]!;
    lossSum += (await ce.data())[0]!;
    tf.dispose([hits, ce, y, inputs.inputIds, inputs.attentionMask, inputs.tokenTypeIds]);
  }
  const n = Math.max(1, data.texts.length);
  return { accuracy: correct / n, loss: lossSum / n };
}
