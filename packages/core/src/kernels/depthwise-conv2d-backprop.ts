import * as tf from '@tensorflow/tfjs-core';
import { runJsKernel } from './js-kernel';

type Info = tf.backend_util.Conv2DInfo;

/**
 * Both gradients of an NHWC depthwise conv2d, y[b,oy,ox,c·m+q] = Σ_ij x[b, oy·sh−pt+i·dh, ox·sw−pl+j·dw, c]·W[i,j,c,q],
 * by one walk over (b, oy, ox, i, j): dW accumulates x·dy, dx accumulates W·dy. Either output may be null.
 */
export function depthwiseBackpropValues(
  x: Float32Array | null,
  filter: Float32Array | null,
  dy: Float32Array,
  info: Info,
  dx: Float32Array | null,
  dw: Float32Array | null,
): void {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outHeight: oh, outWidth: ow, outChannels: co } = info;
  const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dwd, filterHeight: kh, filterWidth: kw } = info;
  const mult = co / ci;
  const pt = info.padInfo.top;
  const pl = info.padInfo.left;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        const dyOff = ((b * oh + oy) * ow + ox) * co;
        for (let i = 0; i < kh; i++) {
          const iy = oy * sh - pt + i * dh;
          if (iy < 0 || iy >= h) continue;
          for (let j = 0; j < kw; j++) {
            const ix = ox * sw - pl + j * dwd;
            if (ix < 0 || ix >= w) continue;
            const xOff = ((b * h + iy) * w + ix) * ci;
            const wOff = (i * kw + j) * co;
            for (let c = 0; c < ci; c++) {
              for (let q = 0; q < mult; q++) {
                const k = c * mult + q;
                const g = dy[dyOff + k]!;
                if (dw) dw[wOff + k]! += x![xOff + c]! * g;
                if (dx) dx[xOff + c]! += filter![wOff + k]! * g;
              }
            }
          }
        }
      }
    }
  }
}

interface Attrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dilations: [number, number] | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

const info = (xShape: number[], fShape: number[], a: Attrs) =>
  tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    fShape as [number, number, number, number],
    a.strides,
    a.dilations,
    a.pad,
    a.dimRoundingMode,
    true,
  );

const filterKernel: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const a = attrs as unknown as Attrs & { filterShape: number[] };
  const ci = info(x.shape, a.filterShape, a);
  return runJsKernel(backend, [x, dy], a.filterShape, 'float32', (out, xv, dyv) =>
    depthwiseBackpropValues(xv as Float32Array, null, dyv as Float32Array, ci, null, out as Float32Array),
  );
};

const inputKernel: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const a = attrs as unknown as Attrs & { inputShape: number[] };
  const ci = info(a.inputShape, filter.shape, a);
  return runJsKernel(backend, [filter, dy], a.inputShape, 'float32', (out, fv, dyv) =>
    depthwiseBackpropValues(null, fv as Float32Array, dyv as Float32Array, ci, out as Float32Array, null),
  );
};

/** LEL-named depthwise backprop kernels (wasm and cpu), used by the gradient for dilations > 1. */
export const DEPTHWISE_BACKPROP_FILTER = 'LelDepthwiseBackpropFilter';
export const DEPTHWISE_BACKPROP_INPUT = 'LelDepthwiseBackpropInput';

/**
 * wasm lacks both depthwise-conv backprop kernels (a depthwise conv net cannot train): JavaScript ones,
 * plus the LEL-named pair for both backends.
 */
export const depthwiseBackpropConfigs: tf.KernelConfig[] = [
  { kernelName: tf.DepthwiseConv2dNativeBackpropFilter, backendName: 'wasm', kernelFunc: filterKernel },
  { kernelName: tf.DepthwiseConv2dNativeBackpropInput, backendName: 'wasm', kernelFunc: inputKernel },
  ...['wasm', 'cpu'].flatMap((backendName) => [
    { kernelName: DEPTHWISE_BACKPROP_FILTER, backendName, kernelFunc: filterKernel },
    { kernelName: DEPTHWISE_BACKPROP_INPUT, backendName, kernelFunc: inputKernel },
  ]),
];

/**
 * DepthwiseConv2dNative gradient: tfjs's own, except for dilations > 1 (which it rejects), computed by
 * LEL's kernels on wasm and cpu.
 */
export function makeDepthwiseGradConfig(original: tf.GradConfig | undefined): tf.GradConfig {
  return {
    kernelName: tf.DepthwiseConv2dNative,
    inputsToSave: ['x', 'filter'],
    gradFunc: (dyIn, saved, attrs) => {
      const dy = dyIn as tf.Tensor;
      const a = attrs as unknown as tf.DepthwiseConv2dNativeAttrs;
      const d = typeof a.dilations === 'number' ? [a.dilations, a.dilations] : (a.dilations ?? [1, 1]);
      if (original && d[0] === 1 && d[1] === 1) return original.gradFunc(dy, saved, attrs);
      const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
      const common = { strides: a.strides, pad: a.pad, dilations: a.dilations, dimRoundingMode: a.dimRoundingMode };
      const eng = tf.engine();
      return {
        x: () => eng.runKernel(DEPTHWISE_BACKPROP_INPUT, { dy, filter }, { ...common, inputShape: x.shape } as unknown as tf.NamedAttrMap) as tf.Tensor,
        filter: () => eng.runKernel(DEPTHWISE_BACKPROP_FILTER, { x, dy }, { ...common, filterShape: filter.shape } as unknown as tf.NamedAttrMap) as tf.Tensor,
      };
    },
  };
}
