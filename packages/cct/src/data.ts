import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@lel/core';

/** An in-memory segmentation set: images [N, H, W, 3] float32, labels [N, H, W] int32 (255 = ignore). */
export interface SegmentationSet {
  images: tf.Tensor4D;
  labels: tf.Tensor3D;
  /** Pseudo-labels of the weak-label variant, [N, H, W] int32 (255 = uncertain). */
  pseudoLabels?: tf.Tensor3D;
}

/** In-memory images without labels, [N, H, W, 3]: what the unlabelled stream needs (no masks). */
export interface ImageSet {
  images: tf.Tensor4D;
  /** Pseudo-labels of the weak-label variant, [N, H, W] int32 (255 = uncertain). */
  pseudoLabels?: tf.Tensor3D;
}

/** One batch of a stream (owned by the training loop, which disposes it after the step). */
export interface SegmentationBatch {
  images: tf.Tensor4D;
  labels: tf.Tensor3D;
  pseudoLabels?: tf.Tensor3D;
}

/** One unlabelled batch: images only (plus pseudo-labels in the weak-label variant). */
export interface ImageBatch {
  images: tf.Tensor4D;
  pseudoLabels?: tf.Tensor3D;
}

/**
 * A data set too large for memory: it knows its size and loads the batches of sample indices it is asked for, in
 * order (e.g. decoding files from disk a few batches ahead, `@lel/datasets`' `loadImageBatches`). The index batches
 * are given lazily; `rng` is the set's own generator for the pass (random crops), independent of the order and the
 * augmentation, so results never depend on how far ahead it loads.
 */
export interface StreamingSet<B> {
  readonly size: number;
  batches(indexBatches: Iterable<readonly number[]>, rng: Rng): AsyncIterable<B>;
}

/** Labelled data CCT trains on: tensors in memory or a {@link StreamingSet}. */
export type LabelledSource = SegmentationSet | StreamingSet<SegmentationBatch>;

/** Unlabelled data: images in memory (a set's labels, if any, are never used) or a {@link StreamingSet}. */
export type UnlabelledSource = ImageSet | SegmentationSet | StreamingSet<ImageBatch>;

/** What an augmentation sees: images, and labels on the labelled stream (never on the unlabelled one). */
export interface AugmentBatch {
  images: tf.Tensor4D;
  labels?: tf.Tensor3D;
  pseudoLabels?: tf.Tensor3D;
}

/**
 * A per-batch augmentation (e.g. from `@lel/datasets`); must dispose nothing it is given, and must transform `labels`
 * and `pseudoLabels` alike when present (unlabelled batches have no `labels`).
 */
export type BatchAugment = (batch: AugmentBatch, rng: Rng) => AugmentBatch;

/** Whether a set streams (as opposed to holding tensors). */
export function isStreaming<B>(set: SegmentationSet | ImageSet | StreamingSet<B>): set is StreamingSet<B> {
  return typeof (set as StreamingSet<B>).batches === 'function';
}

/** Number of samples of a set, in memory or streaming. */
export function setSize(set: SegmentationSet | ImageSet | StreamingSet<unknown>): number {
  return isStreaming(set) ? set.size : set.images.shape[0];
}

/** Random horizontal flip per sample with probability 1/2 (the official `flip: true`), labels alike. */
export const randomHorizontalFlip: BatchAugment = (batch, rng) => {
  const n = batch.images.shape[0];
  const flips = Array.from({ length: n }, () => rng.next() < 0.5);
  return tf.tidy(() => {
    const flip = <T extends tf.Tensor>(x: T, axis: number): T => {
      const f = tf.reverse(x, axis);
      const m = tf.reshape(tf.tensor1d(flips.map((b) => (b ? 1 : 0)), 'bool'), [n, ...x.shape.slice(1).map(() => 1)]);
      return tf.where(tf.broadcastTo(m, x.shape), f, x) as T;
    };
    const out: AugmentBatch = { images: flip(batch.images, 2) };
    if (batch.labels) out.labels = flip(batch.labels, 2);
    if (batch.pseudoLabels) out.pseudoLabels = flip(batch.pseudoLabels, 2);
    return out as unknown as tf.TensorContainer;
  }) as unknown as AugmentBatch;
};

function take<B>(set: SegmentationSet | ImageSet, idx: readonly number[]): B {
  return tf.tidy(() => {
    const i = tf.tensor1d(idx as number[], 'int32');
    const out: AugmentBatch = { images: tf.gather(set.images, i) };
    if ('labels' in set && set.labels) out.labels = tf.gather(set.labels, i);
    if (set.pseudoLabels) out.pseudoLabels = tf.gather(set.pseudoLabels, i);
    return out as unknown as tf.TensorContainer;
  }) as unknown as B;
}

function augmented<B extends AugmentBatch>(b: B, rng: Rng, augment: BatchAugment | null): B {
  if (!augment) return b;
  const out = augment(b, rng) as B;
  if (out !== b) tf.dispose([b.images, ...(b.labels ? [b.labels] : []), ...(b.pseudoLabels ? [b.pseudoLabels] : [])]);
  return out;
}

async function* streamed<B extends AugmentBatch>(set: StreamingSet<B>, indexBatches: Iterable<readonly number[]>, loadRng: Rng, rng: Rng, augment: BatchAugment | null): AsyncGenerator<B> {
  for await (const b of set.batches(indexBatches, loadRng)) yield augmented(b, rng, augment);
}

function* chunks(order: readonly number[], batchSize: number): Generator<number[]> {
  for (let s = 0; s < order.length; s += batchSize) yield order.slice(s, s + batchSize);
}

/**
 * Batches of one pass over `set` in a fresh random order (`ceil(N / batchSize)` batches, the last one
 * partial, as the official loaders without `drop_last`). A streaming set loads them on demand (the order and the
 * set's own generator are forked from `rng` first, so the batches do not depend on how far ahead it loads).
 */
export function epochBatches(set: SegmentationSet, batchSize: number, rng: Rng, augment?: BatchAugment | null): Generator<SegmentationBatch>;
export function epochBatches(set: ImageSet, batchSize: number, rng: Rng, augment?: BatchAugment | null): Generator<ImageBatch>;
export function epochBatches<B extends ImageBatch>(set: StreamingSet<B>, batchSize: number, rng: Rng, augment?: BatchAugment | null): AsyncGenerator<B>;
export function epochBatches<B extends ImageBatch>(set: SegmentationSet | ImageSet | StreamingSet<B>, batchSize: number, rng: Rng, augment?: BatchAugment | null): Generator<B> | AsyncGenerator<B>;
export function epochBatches<B extends ImageBatch>(set: SegmentationSet | ImageSet | StreamingSet<B>, batchSize: number, rng: Rng, augment: BatchAugment | null = randomHorizontalFlip): Generator<B> | AsyncGenerator<B> {
  if (isStreaming(set)) {
    // The same draws as in memory: the order from `rng` itself, then the augmentation from `rng` batch by batch. The
    // loader's generator is derived from the pass's seed without drawing from `rng`, so a streamed pass gives the
    // in-memory pass's batches step for step (random crops aside, which only a loader makes).
    const order = rng.permutation(set.size);
    return streamed(set, chunks(order, batchSize), new Rng(`${rng.seed}/load`), rng, augment);
  }
  return (function* () {
    const order = rng.permutation(set.images.shape[0]);
    for (const idx of chunks(order, batchSize)) yield augmented(take<B>(set, idx), rng, augment);
  })();
}

/** `count` batches of `min(batchSize, n)` indices drawn from consecutive shuffled passes over 0..n-1. */
function* cyclingIndices(n: number, batchSize: number, count: number, next: () => number[]): Generator<number[]> {
  let pool: number[] = [];
  for (let b = 0; b < count; b++) {
    const idx: number[] = [];
    while (idx.length < Math.min(batchSize, n)) {
      if (pool.length === 0) pool = next();
      idx.push(pool.shift()!);
    }
    yield idx;
  }
}

/**
 * Exactly `count` full labelled batches drawn from consecutive passes over `set`, each pass independently
 * reshuffled and re-augmented. CCT's epoch is a pass over the UNLABELLED set; the official code cycles the
 * labelled loader with `itertools.cycle`, which replays the first pass's batches (same order, same
 * augmentations) for the whole epoch. Here every labelled batch is new.
 */
export function labelledBatches(set: SegmentationSet, batchSize: number, count: number, rng: Rng, augment?: BatchAugment | null): Generator<SegmentationBatch>;
export function labelledBatches(set: StreamingSet<SegmentationBatch>, batchSize: number, count: number, rng: Rng, augment?: BatchAugment | null): AsyncGenerator<SegmentationBatch>;
export function labelledBatches(set: LabelledSource, batchSize: number, count: number, rng: Rng, augment?: BatchAugment | null): Generator<SegmentationBatch> | AsyncGenerator<SegmentationBatch>;
export function labelledBatches(set: LabelledSource, batchSize: number, count: number, rng: Rng, augment: BatchAugment | null = randomHorizontalFlip): Generator<SegmentationBatch> | AsyncGenerator<SegmentationBatch> {
  const n = setSize(set);
  if (n === 0) throw new Error('labelledBatches: the labelled set is empty');
  if (isStreaming(set)) {
    // Not the in-memory draws: in memory each pass's permutation is drawn from `rng` when the previous pass runs out,
    // between the augmentations of the batches around it; a loader pulls index batches ahead of the step (prefetch),
    // so drawing them from `rng` would interleave differently with the augmentation and depend on how far ahead it
    // loads. The passes' order therefore comes from a generator of its own (same batches for any prefetch).
    const order = rng.fork('order');
    return streamed(set, cyclingIndices(n, batchSize, count, () => order.permutation(n)), rng.fork('load'), rng, augment);
  }
  return (function* () {
    for (const idx of cyclingIndices(n, batchSize, count, () => rng.permutation(n))) yield augmented(take<SegmentationBatch>(set, idx), rng, augment);
  })();
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

/** Images of the samples `indices` (all when omitted) as an unlabelled {@link ImageSet}: no masks are needed or kept. */
export function imageSet(data: Pick<SegmentationArrays, 'images' | 'n' | 'height' | 'width' | 'channels'>, indices?: readonly number[], options: { rgb?: boolean } = {}): ImageSet {
  const idx = indices ?? Array.from({ length: data.n }, (_, i) => i);
  const { height: h, width: w, channels: c } = data;
  const img = new Float32Array(idx.length * h * w * c);
  idx.forEach((s, k) => {
    if (!(s >= 0 && s < data.n)) throw new Error(`imageSet: index ${s} outside [0, ${data.n})`);
    img.set(data.images.subarray(s * h * w * c, (s + 1) * h * w * c), k * h * w * c);
  });
  return tf.tidy(() => {
    const images = tf.tensor4d(img, [idx.length, h, w, c]);
    return { images: (options.rgb ?? true) && c === 1 ? tf.tile(images, [1, 1, 1, 3]) : images };
  });
}
