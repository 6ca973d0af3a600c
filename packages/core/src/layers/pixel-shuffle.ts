import * as tf from '@tensorflow/tfjs-core';
import './register-gradients';
import { scoped } from '../scope';
import { assertPositiveInt, assertRank } from './validate';

/**
 * PyTorch's `nn.PixelShuffle(r)` on NHWC: out[n, h·r+i, w·r+j, c] = x[n, h, w, c·r² + i·r + j]. Channel order
 * (C, r, r), unlike `tf.depthToSpace` ((r, r, C)), and built from reshape/transpose so it has a gradient
 * (depthToSpace has none in tfjs).
 */
export function pixelShuffle(x: tf.Tensor, r: number): tf.Tensor4D {
  return scoped('pixelShuffle', () => {
    assertRank('pixelShuffle', 'x', x, 4, 'NHWC');
    assertPositiveInt('pixelShuffle', 'upscale factor r', r);
    const [n, h, w, cr2] = x.shape as [number, number, number, number];
    if (cr2 % (r * r) !== 0) throw new Error(`pixelShuffle: channels (${cr2}) must be divisible by r² = ${r * r}`);
    const c = cr2 / (r * r);
    // [N·H, W, C, r(i), r(j)] → [N·H, r(i), W, r(j), C]: rank 5 keeps every backend's transpose happy.
    const t = tf.transpose(tf.reshape(x, [n * h, w, c, r, r]), [0, 3, 1, 4, 2]);
    return tf.reshape(t, [n, h * r, w * r, c]);
  });
}

/** Inverse of {@link pixelShuffle} (`nn.PixelUnshuffle(r)` on NHWC): `[N, H·r, W·r, C]` → `[N, H, W, C·r²]`. */
export function pixelUnshuffle(x: tf.Tensor, r: number): tf.Tensor4D {
  return scoped('pixelUnshuffle', () => {
    assertRank('pixelUnshuffle', 'x', x, 4, 'NHWC');
    assertPositiveInt('pixelUnshuffle', 'downscale factor r', r);
    const [n, hr, wr, c] = x.shape as [number, number, number, number];
    if (hr % r !== 0 || wr % r !== 0) throw new Error(`pixelUnshuffle: height (${hr}) and width (${wr}) must be divisible by r = ${r}`);
    const h = hr / r;
    const w = wr / r;
    const t = tf.transpose(tf.reshape(x, [n * h, r, w, r, c]), [0, 2, 4, 1, 3]);
    return tf.reshape(t, [n, h, w, c * r * r]);
  });
}
