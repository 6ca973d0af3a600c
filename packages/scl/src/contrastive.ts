import * as tf from '@tensorflow/tfjs-core';
import { scoped } from '@lel/core';

/** Options of {@link supConLoss}. */
export interface SupConOptions {
  /** Multiplier of the similarities (SCL's `temperature` 10 is an inverse temperature, τ = 0.1). Default 10. */
  inverseTemperature?: number;
  /**
   * Leave the anchor itself out of its positives and of the denominator (the usual case: one set contrasted with
   * itself). `false` keeps the diagonal, for two distinct sets a/b (SCL commit 7b3e9d0, after issue #2). Default true.
   */
  excludeSelf?: boolean;
}

/** Output of the contrastive losses; the caller disposes every tensor. */
export type SupConResult = {
  loss: tf.Scalar;
  /** ℓ_i of each anchor [M] (0 for an anchor without positive). */
  perAnchorLoss: tf.Tensor1D;
  /** |P(i)| of each anchor [M]. */
  numPositives: tf.Tensor1D;
};

function checkSquare(fn: string, s: tf.Tensor): number {
  if (s.rank !== 2 || s.shape[0] !== s.shape[1]) throw new Error(`${fn}: similarity must be a square matrix [M, M], got shape [${s.shape}]`);
  if (s.dtype !== 'float32') throw new Error(`${fn}: similarity must be float32, got ${s.dtype}`);
  return s.shape[0]!;
}

function checkInvT(fn: string, t: number): void {
  if (!(t > 0) || !Number.isFinite(t)) throw new Error(`${fn}: inverseTemperature must be a finite number > 0, got ${t}`);
}

/**
 * The SupCon loss on a positive mask (1 where p is a positive of anchor i, already without i itself when
 * `excludeSelf`), as SCL's `ContrastiveLoss` (losses.py). The row max subtracted for stability cancels out of
 * every term, so its gradient is zero: it is computed inside the graph, which equals PyTorch's `.detach()`.
 */
function supConFromMask(similarity: tf.Tensor, positives: tf.Tensor, inverseTemperature: number, excludeSelf: boolean): SupConResult {
  const m = similarity.shape[0]!;
  const logits0 = tf.mul(similarity, inverseTemperature);
  const logits = tf.sub(logits0, tf.max(logits0, 1, true));
  const keep = excludeSelf ? tf.sub(1, tf.eye(m)) : tf.onesLike(logits);
  const mask = tf.mul(positives, keep);
  const logDenominator = tf.log(tf.sum(tf.mul(tf.exp(logits), keep), 1, true));
  const logProb = tf.sub(logits, logDenominator);
  const numPositives = tf.sum(mask, 1);
  // |P(i)| = 0 → divide by 1: the anchor contributes 0 but still counts in the mean (as the official code).
  const meanLogProbPos = tf.div(tf.sum(tf.mul(mask, logProb), 1), tf.maximum(numPositives, 1));
  const perAnchorLoss = tf.neg(meanLogProbPos) as tf.Tensor1D;
  return { loss: tf.mean(perAnchorLoss) as tf.Scalar, perAnchorLoss, numPositives: numPositives as tf.Tensor1D };
}

/** Labels of length M or M/2 (tiled twice for two views) → int32 [M]. */
function labelsForAnchors(fn: string, labels: tf.Tensor, m: number): tf.Tensor1D {
  if (labels.rank !== 1) throw new Error(`${fn}: labels must be 1-D, got shape [${labels.shape}]`);
  if (labels.dtype !== 'int32') throw new Error(`${fn}: labels must be int32, got ${labels.dtype}`);
  const n = labels.shape[0]!;
  if (n === m) return labels.clone() as tf.Tensor1D;
  if (2 * n === m) return tf.concat([labels, labels]) as tf.Tensor1D;
  throw new Error(`${fn}: labels has ${n} entries; expected ${m} (one per item) or ${m / 2} (one per image of a two-view batch)`);
}

/**
 * Supervised contrastive loss (Khosla et al. 2020) on a given similarity matrix, as SCL's `ContrastiveLoss`:
 * logits = inverseTemperature·S (row i = anchor i), positives P(i) = items with the anchor's label,
 * ℓ_i = −(1/|P(i)|)·Σ_{p∈P(i)} [l_ip − log Σ_{a∈D(i)} exp(l_ia)], loss = mean over the M anchors. D(i) is every
 * item but i (`excludeSelf`, default) or every item. `labels` has one entry per item (M) or one per image of a
 * two-view batch (M/2, tiled as SCL's `mask.repeat(2, 2)`).
 */
export function supConLoss(similarity: tf.Tensor, labels: tf.Tensor, options: SupConOptions = {}): SupConResult {
  const fn = 'supConLoss';
  const m = checkSquare(fn, similarity);
  const invT = options.inverseTemperature ?? 10;
  checkInvT(fn, invT);
  return scoped(fn, () => {
    const y = labelsForAnchors(fn, labels, m);
    const positives = tf.cast(tf.equal(tf.expandDims(y, 1), tf.expandDims(y, 0)), 'float32');
    return supConFromMask(similarity, positives, invT, options.excludeSelf ?? true);
  });
}

/**
 * Self-supervised variant (SCL `--use_selfsup_loss`): no labels, the items are [view 1; view 2] of N images and the
 * only positive of item i is its other view (i ± N); the anchor itself is excluded. The official code crashes here
 * (`labels.shape[0]` before its `None` check); N is taken from the matrix size instead.
 */
export function selfSupConLoss(similarity: tf.Tensor, options: Pick<SupConOptions, 'inverseTemperature'> = {}): SupConResult {
  const fn = 'selfSupConLoss';
  const m = checkSquare(fn, similarity);
  if (m % 2 !== 0) throw new Error(`${fn}: similarity has ${m} items; a two-view batch has an even number (2N)`);
  const invT = options.inverseTemperature ?? 10;
  checkInvT(fn, invT);
  return scoped(fn, () => {
    const n = m / 2;
    const eyeN = tf.eye(n);
    const zeros = tf.zerosLike(eyeN);
    // [[0, I], [I, 0]]: the other view.
    const positives = tf.concat([tf.concat([zeros, eyeN], 1), tf.concat([eyeN, zeros], 1)], 0);
    return supConFromMask(similarity, positives, invT, true);
  });
}

/** Output of {@link globalContrastiveLoss}. */
export type GlobalContrastiveResult = SupConResult & {
  /** Cosine matrix of the L2-normalised projections [M, M]. */
  similarity: tf.Tensor2D;
};

/**
 * x / max(‖x‖₂, 1e-12) along `axis`, as `F.normalize`. Computed as x / √max(‖x‖², 1e-24) (the same values) so a
 * zero vector has a finite gradient.
 */
export function l2Normalize(x: tf.Tensor, axis = -1): tf.Tensor {
  return scoped('l2Normalize', () => tf.div(x, tf.sqrt(tf.maximum(tf.sum(tf.square(x), axis, true), 1e-24))));
}

/**
 * SCL's global contrastive (GC) loss: projections z [M, D] are L2-normalised, S = ẑ·ẑᵀ, then {@link supConLoss}
 * (self excluded) with `labels`, or {@link selfSupConLoss} when `labels` is absent (positive = other view).
 */
export function globalContrastiveLoss(projections: tf.Tensor, labels?: tf.Tensor | null, options: Pick<SupConOptions, 'inverseTemperature'> = {}): GlobalContrastiveResult {
  const fn = 'globalContrastiveLoss';
  if (projections.rank !== 2) throw new Error(`${fn}: projections must be [M, D], got shape [${projections.shape}]`);
  return scoped(fn, () => {
    const z = l2Normalize(projections);
    const similarity = tf.matMul(z, z, false, true) as tf.Tensor2D;
    const r = labels ? supConLoss(similarity, labels, { ...options, excludeSelf: true }) : selfSupConLoss(similarity, options);
    return { ...r, similarity };
  });
}
