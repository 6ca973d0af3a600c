import * as tf from '@tensorflow/tfjs-core';
import { scoped } from '@lel/core';

/** [out, size] matrix averaging PyTorch's adaptive-pool windows: row i covers [⌊i·size/out⌋, ⌈(i+1)·size/out⌉). */
export function adaptivePoolMatrix(size: number, out: number): tf.Tensor2D {
  const m = new Float32Array(out * size);
  for (let i = 0; i < out; i++) {
    const start = Math.floor((i * size) / out);
    const end = Math.ceil(((i + 1) * size) / out);
    for (let j = start; j < end; j++) m[i * size + j] = 1 / (end - start);
  }
  return tf.tensor2d(m, [out, size]);
}

/**
 * `F.adaptive_avg_pool2d` on NHWC: x [N, H, W, C] → [N, oh, ow, C] with PyTorch's window boundaries. Done as two
 * matrix products (rows, then columns), so it is differentiable on every backend.
 */
export function adaptiveAvgPool2d(x: tf.Tensor, outputSize: number | readonly [number, number]): tf.Tensor4D {
  return scoped('adaptiveAvgPool2d', () => {
    if (x.rank !== 4) throw new Error(`adaptiveAvgPool2d: x must be NHWC, got shape [${x.shape}]`);
    const [oh, ow] = typeof outputSize === 'number' ? [outputSize, outputSize] : outputSize;
    const [n, h, w, c] = x.shape as [number, number, number, number];
    if (!(oh >= 1 && ow >= 1)) throw new Error(`adaptiveAvgPool2d: output size must be ≥ 1, got [${oh}, ${ow}]`);
    // Rows: [H, N·W·C] → [oh, N·W·C].
    const rows = tf.matMul(adaptivePoolMatrix(h, oh), tf.reshape(tf.transpose(x, [1, 0, 2, 3]), [h, n * w * c]));
    // Columns: [W, oh·N·C] → [ow, oh·N·C].
    const r4 = tf.transpose(tf.reshape(rows, [oh, n, w, c]), [2, 0, 1, 3]);
    const cols = tf.matMul(adaptivePoolMatrix(w, ow), tf.reshape(r4, [w, oh * n * c]));
    return tf.transpose(tf.reshape(cols, [ow, oh, n, c]), [2, 1, 0, 3]) as tf.Tensor4D;
  });
}
