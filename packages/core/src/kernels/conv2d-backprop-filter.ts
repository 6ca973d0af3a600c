import * as tf from '@tensorflow/tfjs-core';
import { runJsKernel } from './js-kernel';

/**
 * dW of an NHWC conv2d by direct summation: dW[i,j,ci,co] = Σ x[b, y·sh − pt + i·dh, x·sw − pl + j·dw, ci] · dy[b,y,x,co].
 * Any stride, padding (incl. explicit) and dilation.
 */
export function conv2dBackpropFilterValues(
  x: Float32Array,
  dy: Float32Array,
  info: tf.backend_util.Conv2DInfo,
  out: Float32Array,
): void {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outChannels: co, outHeight: oh, outWidth: ow } = info;
  const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw, filterHeight: kh, filterWidth: kw } = info;
  const pt = info.padInfo.top;
  const pl = info.padInfo.left;
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const xMin = Math.max(0, Math.ceil((pl - j * dw) / sw));
      const xMax = Math.min(ow, Math.ceil((w + pl - j * dw) / sw));
      const wBase = (i * kw + j) * ci * co;
      for (let b = 0; b < n; b++) {
        for (let y = 0; y < oh; y++) {
          const iy = y * sh - pt + i * dh;
          if (iy < 0 || iy >= h) continue;
          for (let xx = xMin; xx < xMax; xx++) {
            const ix = xx * sw - pl + j * dw;
            const xOff = ((b * h + iy) * w + ix) * ci;
            const dyOff = ((b * oh + y) * ow + xx) * co;
            for (let c1 = 0; c1 < ci; c1++) {
              const xv = x[xOff + c1]!;
              const wOff = wBase + c1 * co;
              for (let c2 = 0; c2 < co; c2++) out[wOff + c2]! += xv * dy[dyOff + c2]!;
            }
          }
        }
      }
    }
  }
}

const kernelFunc: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const a = attrs as unknown as tf.Conv2DBackpropFilterAttrs & { dilations?: [number, number] | number };
  if (a.dataFormat === 'NCHW') throw new Error('Conv2DBackpropFilter (LEL wasm kernel): only NHWC is supported');
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    a.filterShape,
    a.strides,
    a.dilations ?? 1,
    a.pad,
    a.dimRoundingMode,
  );
  return runJsKernel(backend, [x, dy], info.filterShape, 'float32', (out, xv, dyv) =>
    conv2dBackpropFilterValues(xv as Float32Array, dyv as Float32Array, info, out as Float32Array),
  );
};

/** wasm lacks Conv2DBackpropFilter: this JavaScript kernel fills the gap (any stride, padding, dilation). */
export const conv2dBackpropFilterWasmConfig: tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc,
};
