import * as tf from '@tensorflow/tfjs-core';
import { checkIntRange, crossEntropy, deviceCheck, scoped } from '@lel/core';

/**
 * Check segmentation labels against the class count: every value must be an integer in [0, C) or equal to
 * `ignoreIndex`; the error names the first bad value and its flat index. The check runs on the device
 * (`deviceCheck`): at once on cpu and wasm, at the next read on GPU backends, never a synchronous read.
 */
export function validateLabels(labels: tf.Tensor, numClasses: number, ignoreIndex = 255, where = 'labels'): void {
  const describe = (v: number, i: number) =>
    `${where}: label ${v} at flat index ${i} is outside [0, ${numClasses}) and is not the ignore index ${ignoreIndex}; ` +
    `set numClasses to the dataset's class count`;
  checkIntRange(labels, 0, numClasses, describe, ignoreIndex);
  if (labels.dtype !== 'int32' && labels.size > 0) {
    // Float labels: a fractional value is as wrong as an out-of-range one.
    deviceCheck(
      () => {
        const flat = tf.reshape(labels, [-1]);
        const bad = tf.cast(tf.notEqual(flat, tf.round(flat)), 'int32');
        const at = tf.argMax(bad);
        return tf.concat([tf.reshape(tf.max(bad), [1]), tf.reshape(at, [1]), tf.reshape(tf.gather(flat, at), [1])].map((v) => tf.cast(v, 'float32')));
      },
      (v) => (v[0] ? describe(v[2]!, v[1]!) : undefined),
    );
  }
}

/**
 * Per-pixel cross-entropy on NHWC logits [B, H, W, C] and labels [B, H, W]; 0 at ignored pixels
 * (`@lel/core`'s `crossEntropy` with reduction 'none'). Returns `{ ce, valid }` (both [B, H, W] float32).
 */
export function pixelCrossEntropy(logits: tf.Tensor4D, labels: tf.Tensor3D, ignoreIndex = 255): { ce: tf.Tensor3D; valid: tf.Tensor3D } {
  return scoped('pixelCrossEntropy', () => {
    const lab = tf.cast(labels, 'int32');
    const valid = tf.cast(tf.notEqual(lab, ignoreIndex), 'float32') as tf.Tensor3D;
    const ce = crossEntropy(logits, lab, { ignoreIndex, reduction: 'none' }) as tf.Tensor3D;
    return { ce, valid };
  });
}

/** Options of {@link segmentationCrossEntropy}. */
export interface SegmentationCEOptions {
  /** Label value excluded from the loss. Official `ignore_index` 255 [configs/config.json]. */
  ignoreIndex?: number;
  /** Logits are divided by T. Official `softmax_temp` 1 [configs/config.json]. */
  temperature?: number;
}

/**
 * The official supervised "CE" (`CE_loss` [utils/losses.py]): `F.cross_entropy(logits / T, y, ignore_index=255)`,
 * the mean over non-ignored pixels (0 when every pixel is ignored, where PyTorch gives NaN).
 */
export function segmentationCrossEntropy(logits: tf.Tensor4D, labels: tf.Tensor3D, options: SegmentationCEOptions = {}): tf.Scalar {
  const t = options.temperature ?? 1;
  return scoped('segmentationCrossEntropy', () => {
    const x = t === 1 ? logits : tf.div(logits, t);
    return crossEntropy(x, tf.cast(labels, 'int32'), { ignoreIndex: options.ignoreIndex ?? 255 }) as tf.Scalar;
  });
}
