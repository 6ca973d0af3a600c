import * as tf from '@tensorflow/tfjs-core';
import type { ImageClassificationData, SegmentationData } from './types';

function gatherImages(data: { images: Float32Array; n: number; height: number; width: number; channels: number }, indices: readonly number[]): Float32Array {
  const per = data.height * data.width * data.channels;
  const out = new Float32Array(indices.length * per);
  indices.forEach((idx, j) => {
    if (!Number.isInteger(idx) || idx < 0 || idx >= data.n) throw new RangeError(`index ${idx} is outside [0, ${data.n})`);
    out.set(data.images.subarray(idx * per, (idx + 1) * per), j * per);
  });
  return out;
}

/** Gathers samples into tensors: `x` [B, H, W, C] float32 and `y` [B] int32. The caller disposes them. */
export function toImageBatch(data: ImageClassificationData, indices: readonly number[]): { x: tf.Tensor4D; y: tf.Tensor1D } {
  const x = tf.tensor4d(gatherImages(data, indices), [indices.length, data.height, data.width, data.channels], 'float32');
  const y = tf.tensor1d(Int32Array.from(indices, (i) => data.labels[i]!), 'int32');
  return { x, y };
}

/** Gathers samples into tensors: `x` [B, H, W, C] float32 and `y` [B, H, W] int32 masks (255 = ignore). The caller disposes them. */
export function toSegmentationBatch(data: SegmentationData, indices: readonly number[]): { x: tf.Tensor4D; y: tf.Tensor3D } {
  const x = tf.tensor4d(gatherImages(data, indices), [indices.length, data.height, data.width, data.channels], 'float32');
  const hw = data.height * data.width;
  const masks = new Int32Array(indices.length * hw);
  indices.forEach((idx, j) => masks.set(data.masks.subarray(idx * hw, (idx + 1) * hw), j * hw));
  return { x, y: tf.tensor3d(masks, [indices.length, data.height, data.width], 'int32') };
}
