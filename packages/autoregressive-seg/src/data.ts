import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '@lel/core';

/** Images for unsupervised training: NHWC float32 in [0, 1], flat. Structurally a @lel/datasets `SegmentationData` fits. */
export interface ImageSet {
  images: Float32Array;
  n: number;
  height: number;
  width: number;
  channels: number;
}

/**
 * Images too many for memory: the set knows its size and loads the batches of sample indices it is asked for, in
 * order (e.g. decoding files from disk a few batches ahead, `@lel/datasets`' `loadImageBatches`). `rng` is the set's
 * own generator for the pass (random crops), independent of the order.
 */
export interface StreamingImageSet {
  readonly n: number;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  /** Batches [B, H, W, C] of the given indices, owned by the caller. */
  batches(indexBatches: Iterable<readonly number[]>, rng: Rng): AsyncIterable<tf.Tensor4D>;
}

/** Whether an image set streams (as opposed to holding its pixels). */
export function isStreamingImages(data: ImageSet | StreamingImageSet): data is StreamingImageSet {
  return typeof (data as StreamingImageSet).batches === 'function';
}

/** Images plus ground-truth masks, for evaluation only. */
export interface LabelledImageSet extends ImageSet {
  /** [n, H, W] int32 class per pixel (ignoreIndex, default 255, = not evaluated). */
  masks: Int32Array;
  numClasses: number;
}

/** Throws unless `data` is a consistent image set (names `fn` and the wrong field). */
export function validateImageSet(fn: string, data: ImageSet | StreamingImageSet): void {
  for (const k of ['n', 'height', 'width', 'channels'] as const) {
    if (!Number.isInteger(data[k]) || data[k] < 1) throw new Error(`${fn}: data.${k} must be a positive integer, got ${data[k]}`);
  }
  if (isStreamingImages(data)) return;
  const want = data.n * data.height * data.width * data.channels;
  if (data.images.length !== want) throw new Error(`${fn}: data.images has ${data.images.length} values, expected n·H·W·C = ${want}`);
}

/** Images `idx` of `data` as a [B, H, W, C] tensor (owned by the caller). */
export function imageBatch(data: ImageSet, idx: readonly number[]): tf.Tensor4D {
  const per = data.height * data.width * data.channels;
  const out = new Float32Array(idx.length * per);
  idx.forEach((i, k) => {
    if (!Number.isInteger(i) || i < 0 || i >= data.n) throw new RangeError(`imageBatch: index ${i} is outside [0, ${data.n})`);
    out.set(data.images.subarray(i * per, (i + 1) * per), k * per);
  });
  return tf.tensor4d(out, [idx.length, data.height, data.width, data.channels]);
}
