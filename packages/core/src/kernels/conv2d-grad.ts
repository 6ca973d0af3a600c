import * as tf from '@tensorflow/tfjs-core';
import { applyWasmOverrides } from './wasm-overrides';
import { im2colTranspose } from './im2col';
import { lelWebGPUOverrideActive } from './webgpu/overrides';

type Pad = tf.Conv2DAttrs['pad'];

/**
 * The gradient of Conv2D that LEL registers. tfjs's own needs Conv2DBackpropFilter (missing on wasm) and
 * runs both halves through slow generic loops; here, on wasm (NHWC):
 * - dW = im2colᵀ(x) · dy: one JavaScript gather, then XNNPACK's matMul without transpose flags;
 * - dx (stride 1) = the forward XNNPACK conv of dy with the flipped, channel-swapped kernel, padded so the
 *   output has x's size; for stride > 1 tfjs's Conv2DBackpropInput.
 * Dilations > 1 (which tfjs rejects in gradients) use the im2col dW and a dilated-kernel dx on every backend.
 * Elsewhere tfjs's gradient runs unchanged, so cpu results are bit-identical to stock tfjs.
 */
export function makeConv2dGradConfig(original: tf.GradConfig | undefined): tf.GradConfig {
  return {
    kernelName: tf.Conv2D,
    inputsToSave: ['x', 'filter'],
    gradFunc: (dyIn, saved, attrs) => {
      const dy = dyIn as tf.Tensor;
      const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
      const a = attrs as unknown as tf.Conv2DAttrs;
      const dil = typeof a.dilations === 'number' ? [a.dilations, a.dilations] : (a.dilations ?? [1, 1]);
      const dilated = dil[0] !== 1 || dil[1] !== 1;
      const nhwc = a.dataFormat !== 'NCHW';
      if (original && (tf.getBackend() !== 'wasm' || !nhwc) && !dilated) return original.gradFunc(dy, saved, attrs);
      if (!nhwc) throw new Error('conv2d gradient: dilations > 1 need NHWC');
      applyWasmOverrides();
      const dy4 = dy as tf.Tensor4D;
      return {
        x: () => conv2dInputGrad(x.shape, dy4, filter, a, dil as [number, number]),
        filter: () => conv2dFilterGrad(x, dy4, filter.shape, a, dil as [number, number]),
      };
    },
  };
}

/** dW of an NHWC conv2d as im2colᵀ(x) · dy (any stride, padding, dilation). */
export function conv2dFilterGrad(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: [number, number, number, number],
  a: tf.Conv2DAttrs,
  dilations: [number, number],
): tf.Tensor4D {
  // LEL's webgpu Conv2DBackpropFilter (a GEMM over the implicit im2col) takes dilations itself.
  if (tf.getBackend() === 'webgpu' && lelWebGPUOverrideActive(tf.Conv2DBackpropFilter)) {
    const attrs = { strides: a.strides, pad: a.pad, dataFormat: 'NHWC', dimRoundingMode: a.dimRoundingMode, dilations, filterShape };
    return tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
  }
  return tf.tidy(() => {
    const colsT = im2colTranspose(x, { filterShape, strides: a.strides, pad: a.pad as Pad, dilations, dimRoundingMode: a.dimRoundingMode });
    const dy2 = tf.reshape(dy, [-1, filterShape[3]]);
    return tf.reshape(tf.matMul(colsT, dy2), filterShape);
  });
}

/** dx of an NHWC conv2d; stride 1 goes through the forward conv (XNNPACK on wasm). */
export function conv2dInputGrad(
  xShape: [number, number, number, number],
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  a: tf.Conv2DAttrs,
  dilations: [number, number],
): tf.Tensor4D {
  const info = tf.backend_util.computeConv2DInfo(xShape, filter.shape, a.strides, dilations, a.pad, a.dimRoundingMode);
  const [kh, kw] = [info.effectiveFilterHeight, info.effectiveFilterWidth];
  const pt = kh - 1 - info.padInfo.top;
  const pl = kw - 1 - info.padInfo.left;
  const pb = xShape[1] - 1 + kh - info.outHeight - pt;
  const pr = xShape[2] - 1 + kw - info.outWidth - pl;
  const stride1 = info.strideHeight === 1 && info.strideWidth === 1;
  if (stride1 && pt >= 0 && pl >= 0 && pb >= 0 && pr >= 0) {
    return tf.tidy(() => {
      // Flip spatially and swap in/out channels: [kh,kw,ci,co] → [kh,kw,co,ci].
      const flipped = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]);
      return tf.conv2d(dy, flipped as tf.Tensor4D, 1, [[0, 0], [pt, pb], [pl, pr], [0, 0]], 'NHWC', dilations);
    });
  }
  if (dilations[0] === 1 && dilations[1] === 1) {
    return tf.conv2dTranspose(dy, filter, xShape, a.strides, a.pad as 'valid' | 'same' | number, a.dimRoundingMode);
  }
  throw new Error('conv2d gradient: dilations > 1 with strides > 1 are not supported');
}
