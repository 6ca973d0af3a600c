import * as tf from '@tensorflow/tfjs-core';

/**
 * FusedBatchNorm gradient without Tile: tfjs tiles 1/√(var+ε) to x's full shape before multiplying
 * (18% of a wasm seg-net step); broadcasting multiplies the very same numbers, so values are identical
 * on every backend. Otherwise a line-by-line port of tfjs-core 4.22's gradient.
 */
export const fusedBatchNormGradConfig: tf.GradConfig = {
  kernelName: tf.FusedBatchNorm,
  inputsToSave: ['x', 'mean', 'variance', 'scale'],
  gradFunc: (dyIn, saved, attrs) => {
      const dy = dyIn as tf.Tensor;
    const { varianceEpsilon } = attrs as unknown as tf.FusedBatchNormAttrs;
    const [x, mean, variance, scale] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor | undefined];
    const scaleValue = scale == null ? tf.scalar(1) : scale;
    const reductionAxes = tf.backend_util.getReductionAxes(mean.shape, x.shape);
    const xMinusMean = tf.sub(x, mean);
    const dyTimesScaleValue = tf.mul(dy, scaleValue);
    const oneOverSqrtVariance = tf.rsqrt(tf.add(variance, tf.scalar(varianceEpsilon)));
    const minusHalfRCube = tf.mul(tf.mul(tf.mul(oneOverSqrtVariance, oneOverSqrtVariance), oneOverSqrtVariance), tf.scalar(-0.5));
    const reduce = (t: tf.Tensor) => (mean.rank === 1 ? tf.sum(t, reductionAxes) : t);
    return {
      x: () => tf.reshape(tf.mul(tf.mul(dy, oneOverSqrtVariance), scaleValue), x.shape),
      mean: () => tf.reshape(reduce(tf.mul(tf.mul(oneOverSqrtVariance, tf.scalar(-1)), dyTimesScaleValue)), mean.shape),
      variance: () => tf.reshape(reduce(tf.mul(tf.mul(minusHalfRCube, xMinusMean), dyTimesScaleValue)), mean.shape),
      scale: () => tf.reshape(reduce(tf.mul(dy, tf.mul(xMinusMean, oneOverSqrtVariance))), mean.shape),
      offset: () => tf.reshape(reduce(dy), mean.shape),
    };
  },
};
