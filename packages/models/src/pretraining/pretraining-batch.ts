import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '@lel/core';
import { maskTokens } from './mask-tokens';
import { samplePairs, type PairTokens } from './sentence-pairs';

/** One MLM + NSP batch as plain arrays (structured-cloneable: it travels to data-parallel workers). */
export interface PretrainingBatch {
  inputIds: number[][];
  tokenTypeIds: number[][];
  attentionMask: number[][];
  /** Flat positions (row·T + t) of the masked tokens, ascending, and their original ids. */
  positions: number[];
  labels: number[];
  nextSentenceLabels: number[];
}

/** Sample pairs and mask them (BERT's 15% / 80-10-10, fresh masks every batch). */
export function makePretrainingBatch(docs: readonly (readonly number[])[], rng: Rng, o: { batchSize: number; half: number; tokens: PairTokens & { maskId: number }; vocabSize: number; maskProb?: number }): PretrainingBatch {
  const pairs = samplePairs(docs, rng, { batchSize: o.batchSize, half: o.half, tokens: o.tokens });
  const m = maskTokens(pairs.inputIds, rng, { specialIds: new Set([o.tokens.clsId, o.tokens.sepId, o.tokens.padId]), maskId: o.tokens.maskId, vocabSize: o.vocabSize, maskProb: o.maskProb });
  return { inputIds: m.inputIds, tokenTypeIds: pairs.tokenTypeIds, attentionMask: pairs.attentionMask, positions: m.positions, labels: m.labels, nextSentenceLabels: pairs.nextSentenceLabels };
}

/** Rows [start, start + count) of a batch, positions re-based to the slice. */
export function sliceBatch(b: PretrainingBatch, start: number, count: number): PretrainingBatch {
  const t = b.inputIds[0]!.length;
  const lo = start * t;
  const hi = (start + count) * t;
  const keep = b.positions.map((p, i) => [p, i] as const).filter(([p]) => p >= lo && p < hi);
  return {
    inputIds: b.inputIds.slice(start, start + count),
    tokenTypeIds: b.tokenTypeIds.slice(start, start + count),
    attentionMask: b.attentionMask.slice(start, start + count),
    positions: keep.map(([p]) => p - lo),
    labels: keep.map(([, i]) => b.labels[i]!),
    nextSentenceLabels: b.nextSentenceLabels.slice(start, start + count),
  };
}

/** The batch's tensors (the caller disposes them). */
export function batchTensors(b: PretrainingBatch): { inputIds: tf.Tensor; tokenTypeIds: tf.Tensor; attentionMask: tf.Tensor; positions: tf.Tensor; labels: tf.Tensor; nextSentenceLabels: tf.Tensor } {
  const shape: [number, number] = [b.inputIds.length, b.inputIds[0]!.length];
  return {
    inputIds: tf.tensor2d(b.inputIds, shape, 'int32'),
    tokenTypeIds: tf.tensor2d(b.tokenTypeIds, shape, 'int32'),
    attentionMask: tf.tensor2d(b.attentionMask, shape, 'int32'),
    positions: tf.tensor1d(b.positions, 'int32'),
    labels: tf.tensor1d(b.labels, 'int32'),
    nextSentenceLabels: tf.tensor1d(b.nextSentenceLabels, 'int32'),
  };
}
