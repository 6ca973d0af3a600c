import * as tf from '@tensorflow/tfjs-core';

/**
 * Gradient of DepthToSpace (pixel shuffle), which tfjs lacks on every backend. Forward (NHWC):
 * y[b, h·s + i, w·s + j, c] = x[b, h, w, (i·s + j)·C′ + c], so dx is the inverse permutation of dy:
 * [b·H, s, W, s·C′] → transpose(0, 2, 1, 3) → [b, H, W, s·s·C′]. Rank-4 transposes only (wasm's limit).
 */
export const depthToSpaceGradConfig: tf.GradConfig = {
  kernelName: tf.DepthToSpace,
  gradFunc: (dyIn, _saved, attrs) => {
    const dy = dyIn as tf.Tensor;
    const { blockSize: s, dataFormat } = attrs as unknown as tf.DepthToSpaceAttrs;
    if (dataFormat === 'NCHW') throw new Error('depthToSpace gradient: only NHWC is supported');
    return {
      x: () => {
        const [b, hs, ws, c] = dy.shape as [number, number, number, number];
        const h = hs / s;
        const w = ws / s;
        const r = tf.reshape(dy, [b * h, s, w, s * c]);
        return tf.reshape(tf.transpose(r, [0, 2, 1, 3]), [b, h, w, s * s * c]);
      },
    };
  },
};
