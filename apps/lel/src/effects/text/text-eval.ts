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

/** Row order that groups sentences of similar token length (longest first), so evaluation batches pad little. */
export function lengthOrder(tokenizer: WordPieceTokenizer, texts: readonly string[], maxLength: number): number[] {
  const len = texts.map((t) => Math.min(maxLength, tokenizer.encode(t, { maxLength, truncation: 'longest_first' }).inputIds.length));
  return Array.from(texts.keys()).sort((a, b) => len[b]! - len[a]! || a - b);
}

/**
 * Accuracy and mean cross-entropy of `logitsOf(inputs)` (eval mode; the model's mode is the caller's business) on
 * `data`, in batches of sentences of similar length (padding changes nothing but the cost), reading results
 * asynchronously. With `logits`, the rows' logits `[N, C]` are also returned in `data`'s order.
 */
export async function scoreText(
  logitsOf: (inputs: BertInputs) => tf.Tensor,
  tokenizer: WordPieceTokenizer,
  data: TextClassificationData,
  options: { maxLength: number; batchSize?: number; logits?: boolean },
): Promise<TextScore & { logits?: Float32Array }> {
  const bs = options.batchSize ?? 64;
  const order = lengthOrder(tokenizer, data.texts, options.maxLength);
  let correct = 0;
  let lossSum = 0;
  let all: Float32Array | undefined;
  for (let s = 0; s < order.length; s += bs) {
    const idx = order.slice(s, s + bs);
    const inputs = encodeTexts(tokenizer, idx.map((i) => data.texts[i]!), options.maxLength);
    const y = tf.tensor1d(idx.map((i) => data.labels[i]!), 'int32');
    const [hits, ce, z] = tf.tidy(() => {
      const logits = logitsOf(inputs);
      const h = tf.sum(tf.cast(tf.equal(tf.argMax(logits, -1), y), 'float32'));
      const nll = tf.neg(tf.sum(tf.mul(tf.oneHot(y, logits.shape[1]!), tf.logSoftmax(logits))));
      return [h, nll, options.logits ? tf.clone(logits) : tf.zeros([0])];
    });
    correct += (await hits.data())[0]!;
    lossSum += (await ce.data())[0]!;
    if (options.logits) {
      const c = z.shape[1]!;
      all ??= new Float32Array(data.texts.length * c);
      const v = (await z.data()) as Float32Array;
      idx.forEach((i, r) => all!.set(v.subarray(r * c, (r + 1) * c), i * c));
    }
    tf.dispose([hits, ce, z, y, inputs.inputIds, inputs.attentionMask, inputs.tokenTypeIds]);
  }
  const n = Math.max(1, data.texts.length);
  return { accuracy: correct / n, loss: lossSum / n, ...(all ? { logits: all } : {}) };
}
