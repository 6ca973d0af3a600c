import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '@lel/core';

/** An in-memory segmentation set: images [N, H, W, 3] float32, labels [N, H, W] int32 (255 = ignore). */
export interface SegmentationSet {
  images: tf.Tensor4D;
  labels: tf.Tensor3D;
  /** Pseudo-labels of the weak-label variant, [N, H, W] int32 (255 = uncertain). */
  pseudoLabels?: tf.Tensor3D;
}

/** One batch of a stream (owned by the training loop, which disposes it after the step). */
export interface SegmentationBatch {
  images: tf.Tensor4D;
  labels: tf.Tensor3D;
  pseudoLabels?: tf.Tensor3D;
}

/** A per-batch augmentation (e.g. from `@lel/datasets`); must dispose nothing it is given. */
export type BatchAugment = (batch: SegmentationBatch, rng: Rng) => SegmentationBatch;

/** Random horizontal flip per sample with probability 1/2 (the official `flip: true`), labels alike. */
export function randomHorizontalFlip(batch: SegmentationBatch, rng: Rng): SegmentationBatch {
  const n = batch.images.shape[0];
  const flips = Array.from({ length: n }, () => rng.next() < 0.5);
  return tf.tidy(() => {
    const flip = <T extends tf.Tensor>(x: T, axis: number): T => {
      const f = tf.reverse(x, axis);
      const m = tf.reshape(tf.tensor1d(flips.map((b) => (b ? 1 : 0)), 'bool'), [n, ...x.shape.slice(1).map(() => 1)]);
      return tf.where(tf.broadcastTo(m, x.shape), f, x) as T;
    };
    const out: SegmentationBatch = { images: flip(batch.images, 2), labels: flip(batch.labels, 2) };
    if (batch.pseudoLabels) out.pseudoLabels = flip(batch.pseudoLabels, 2);
    return out as unknown as tf.TensorContainer;
  }) as unknown as SegmentationBatch;
}

function take(set: SegmentationSet, idx: number[]): SegmentationBatch {
  return tf.tidy(() => {
    const i = tf.tensor1d(idx, 'int32');
    const out: SegmentationBatch = { images: tf.gather(set.images, i), labels: tf.gather(set.labels, i) };
    if (set.pseudoLabels) out.pseudoLabels = tf.gather(set.pseudoLabels, i);
    return out as unknown as tf.TensorContainer;
  }) as unknown as SegmentationBatch;
}

function augmented(b: SegmentationBatch, rng: Rng, augment: BatchAugment | null): SegmentationBatch {
  if (!augment) return b;
  const out = augment(b, rng);
  if (out !== b) tf.dispose([b.images, b.labels, ...(b.pseudoLabels ? [b.pseudoLabels] : [])]);
  return out;
}

/**
 * Batches of one pass over `set` in a fresh random order (`ceil(N / batchSize)` batches, the last one
 * partial, as the official loaders without `drop_last`).
 */
export function* epochBatches(set: SegmentationSet, batchSize: number, rng: Rng, augment: BatchAugment | null = randomHorizontalFlip): Generator<SegmentationBatch> {
  const order = rng.permutation(set.images.shape[0]);
  for (let s = 0; s < order.length; s += batchSize) yield augmented(take(set, order.slice(s, s + batchSize)), rng, augment);
}

/**
 * Exactly `count` full labelled batches drawn from consecutive passes over `set`, each pass independently
 * reshuffled and re-augmented. CCT's epoch is a pass over the UNLABELLED set; the official code cycles the
 * labelled loader with `itertools.cycle`, which replays the first pass's batches (same order, same
 * augmentations) for the whole epoch. Here every labelled batch is new.
 */
export function* labelledBatches(set: SegmentationSet, batchSize: number, count: number, rng: Rng, augment: BatchAugment | null = randomHorizontalFlip): Generator<SegmentationBatch> {
  const n = set.images.shape[0];
  if (n === 0) throw new Error('labelledBatches: the labelled set is empty');
  let pool: number[] = [];
  for (let b = 0; b < count; b++) {
    const idx: number[] = [];
    while (idx.length < Math.min(batchSize, n)) {
      if (pool.length === 0) pool = rng.permutation(n);
      idx.push(pool.shift()!);
    }
    yield augmented(take(set, idx), rng, augment);
  }
}

/** The fields of `@lel/datasets`' `SegmentationData` this package reads (structural, so no dependency). */
export interface SegmentationArrays {
  /** N·H·W·C floats in [0, 1], NHWC. */
  images: Float32Array;
  /** N·H·W class indices or 255. */
  masks: Int32Array;
  n: number;
  height: number;
  width: number;
  channels: number;
  numClasses: number;
}

/**
 * Tensors of the samples `indices` (all when omitted) of a dataset from `@lel/datasets` (e.g.
 * `makeDigitScenes`, a VOC folder). Single-channel images are repeated to 3 channels when `rgb` (default),
 * so any dataset fits a 3-channel encoder.
 */
export function segmentationSet(data: SegmentationArrays, indices?: readonly number[], options: { rgb?: boolean } = {}): SegmentationSet {
  const idx = indices ?? Array.from({ length: data.n }, (_, i) => i);
  const { height: h, width: w, channels: c } = data;
  const img = new Float32Array(idx.length * h * w * c);
  const lab = new Int32Array(idx.length * h * w);
  idx.forEach((s, k) => {
    if (!(s >= 0 && s < data.n)) throw new Error(`segmentationSet: index ${s} outside [0, ${data.n})`);
    img.set(data.images.subarray(s * h * w * c, (s + 1) * h * w * c), k * h * w * c);
    lab.set(data.masks.subarray(s * h * w, (s + 1) * h * w), k * h * w);
  });
  return tf.tidy(() => {
    let images = tf.tensor4d(img, [idx.length, h, w, c]);
    if ((options.rgb ?? true) && c === 1) images = tf.tile(images, [1, 1, 1, 3]);
    return { images, labels: tf.tensor3d(lab, [idx.length, h, w], 'int32') };
  });
}
