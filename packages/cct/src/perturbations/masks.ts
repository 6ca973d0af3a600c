import * as tf from '@tensorflow/tfjs-core';
import { scoped, stopGradient } from '@lel/core';

/**
 * Foreground of a prediction: 1 where argmax over classes (last axis) is not class 0 (background),
 * as the official `output.argmax(1) > 0`. Ties go to the lowest class index. [B, H, W] float32.
 */
export function foregroundMask(logits: tf.Tensor4D): tf.Tensor3D {
  // Detached: the mask is a constant of the step (argmax and comparisons have no gradient).
  return scoped('foregroundMask', () => tf.cast(tf.greater(tf.argMax(stopGradient(logits), 3), 0), 'float32') as tf.Tensor3D);
}

/** Source indices of PyTorch `mode='nearest'`: src = min(floor(dst · in / out), in − 1), exact integer arithmetic. */
export function nearestIndices(inSize: number, outSize: number): number[] {
  return Array.from({ length: outSize }, (_, d) => Math.min(Math.floor((d * inSize) / outSize), inSize - 1));
}

/**
 * Nearest resize of a [B, H, W] mask to [B, h, w] with PyTorch's `F.interpolate(mode='nearest')` indexing.
 * Done as two gathers with integer indices, so non-integer ratios never suffer float rounding.
 */
export function resizeMaskNearest(mask: tf.Tensor3D, size: [number, number]): tf.Tensor3D {
  const [, H, W] = mask.shape;
  const [h, w] = size;
  if (H === h && W === w) return mask.clone();
  return scoped('resizeMaskNearest', () => {
    const rows = tf.tensor1d(nearestIndices(H, h), 'int32');
    const cols = tf.tensor1d(nearestIndices(W, w), 'int32');
    return tf.gather(tf.gather(mask, rows, 1), cols, 2) as tf.Tensor3D;
  });
}
