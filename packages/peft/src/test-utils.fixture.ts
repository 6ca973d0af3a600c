import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@lel/core';
import { BertForSequenceClassification, type BertConfig } from '@lel/models';
// The one tiny-BERT config of the repository's tests (a test-only file of @lel/models, not published).
import { TINY_BERT as MODELS_TINY_BERT } from '../../models/src/bert/tiny-bert.fixture';

/** The golden file's tiny BERT (6162 parameters with a 2-class head): @lel/models' test config, dropout off. */
export const TINY_BERT: Partial<BertConfig> = { ...MODELS_TINY_BERT, hiddenDropoutProb: 0, attentionProbsDropoutProb: 0 };

/** A tiny BERT classifier with seeded weights (same seed → same weights), in eval mode. */
export function tinyBert(seed = 1): BertForSequenceClassification {
  const m = new BertForSequenceClassification(TINY_BERT, { numLabels: 2, rng: new Rng(seed) });
  // Random biases and LayerNorm (HF init leaves them at 0/1): makes bias-only changes visible.
  const rng = new Rng(seed + 1000);
  for (const [, p] of m.namedParameters()) if (p.shape.length === 1) tf.tidy(() => p.assign(tf.add(p.variable, rng.normalTensor(p.shape, 0, 0.1))));
  return m.eval() as BertForSequenceClassification;
}

/** A fixed batch of token ids [2, 7] with padding in the second row. */
export function tinyBatch(): { inputIds: tf.Tensor; attentionMask: tf.Tensor; labels: tf.Tensor } {
  return {
    inputIds: tf.tensor2d([[2, 11, 23, 35, 7, 3, 0], [2, 40, 41, 3, 0, 0, 0]], [2, 7], 'int32'),
    attentionMask: tf.tensor2d([[1, 1, 1, 1, 1, 1, 0], [1, 1, 1, 1, 0, 0, 0]], [2, 7], 'int32'),
    labels: tf.tensor1d([1, 0], 'int32'),
  };
}

/** Logits of `model` on {@link tinyBatch} as a plain array. */
export function logitsOf(model: BertForSequenceClassification): number[] {
  const b = tinyBatch();
  const out = model.forward(b);
  const v = Array.from(out.logits.dataSync());
  tf.dispose([out.logits, out.lastHiddenState, out.poolerOutput, b.inputIds, b.attentionMask, b.labels]);
  return v;
}

/** Copy of every parameter's values by name. */
export function snapshot(model: { namedParameters(): [string, { variable: tf.Variable }][] }): Map<string, Float32Array> {
  return new Map(model.namedParameters().map(([n, p]) => [n, Float32Array.from(p.variable.dataSync() as Float32Array)]));
}
