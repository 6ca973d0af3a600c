import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '@lel/core';
import type { BertInputs, WordPieceTokenizer } from '@lel/models';
import { encodeTexts } from './text-eval';

/** A training batch of the text effects: BERT inputs, int32 labels and the rows' ids in their source set. */
export interface TextBatch extends BertInputs {
  inputIds: tf.Tensor;
  attentionMask: tf.Tensor;
  tokenTypeIds: tf.Tensor;
  labels: tf.Tensor;
  ids: number[];
}

/** Encode rows `ids` of `texts` with their `labels` (padded to the batch's longest, at most `maxLength` tokens). */
export function textBatch(tokenizer: WordPieceTokenizer, texts: readonly string[], ids: readonly number[], labels: readonly number[], maxLength: number): TextBatch {
  return {
    ...encodeTexts(tokenizer, ids.map((i) => texts[i]!), maxLength),
    labels: tf.tensor1d(labels as number[], 'int32'),
    ids: [...ids],
  };
}

/**
 * The batches of one epoch over `n` labelled rows in the order `@lel/peft`'s fine-tuning recipe uses (a fresh
 * permutation from the epoch's generator, consecutive slices of `batchSize`), so an arm trained with its own `fit`
 * call sees the same batches as the PEFT table's full fine-tuning of the same seed.
 */
export function* epochBatches(tokenizer: WordPieceTokenizer, data: { texts: readonly string[]; labels: ArrayLike<number> }, batchSize: number, maxLength: number, rng: Rng): Generator<TextBatch> {
  const n = data.texts.length;
  const order = rng.permutation(n);
  for (let i = 0; i < n; i += batchSize) {
    const idx = Array.from(order.slice(i, i + batchSize));
    yield textBatch(
      tokenizer,
      data.texts,
      idx,
      idx.map((j) => data.labels[j]!),
      maxLength,
    );
  }
}
