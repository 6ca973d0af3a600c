import * as tf from '@tensorflow/tfjs-core';
import { applyWasmOverrides } from './wasm-overrides';
import { runJsKernel } from './js-kernel';
import { heapOffset, lelSimdFor } from './simd/lel-simd';
import type { WasmBackend } from './wasm/backend';

/** LEL's MaxPoolGrad kernel (wasm and cpu). */
export const MAX_POOL_GRAD = 'LelMaxPoolGrad';

/**
 * dx of max pooling: each window's dy goes to its first maximal element (row-major window order, strict
 * `>` from −∞, as tfjs-cpu chooses), whatever the sign of the values. wasm's MaxPoolGrad drops the
 * gradient of windows whose values are all negative.
 */
export function maxPoolGradValues(x: Float32Array, dy: Float32Array, info: tf.backend_util.Conv2DInfo, dx: Float32Array): void {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow } = info;
  const { strideHeight: sh, strideWidth: sw, filterHeight: fh, filterWidth: fw } = info;
  const pt = info.padInfo.top;
  const pl = info.padInfo.left;
  // Window positions outer, channels inner: contiguous reads, and per channel the same visiting order
  // (row-major window, strict `>`), so the same element wins as in a channel-outer loop.
  const best = new Float32Array(c);
  const pos = new Int32Array(c);
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < oh; y++) {
      const y0 = y * sh - pt;
      const yStart = Math.max(0, y0);
      const yEnd = Math.min(h, y0 + fh);
      for (let xx = 0; xx < ow; xx++) {
        const x0 = xx * sw - pl;
        const xStart = Math.max(0, x0);
        const xEnd = Math.min(w, x0 + fw);
        const dyOff = ((b * oh + y) * ow + xx) * c;
        best.fill(-Infinity);
        pos.fill(-1);
        for (let iy = yStart; iy < yEnd; iy++) {
          for (let ix = xStart; ix < xEnd; ix++) {
            const base = ((b * h + iy) * w + ix) * c;
            for (let ch = 0; ch < c; ch++) {
              const v = x[base + ch]!;
              if (v > best[ch]!) {
                best[ch] = v;
                pos[ch] = base + ch;
              }
            }
          }
        }
        for (let ch = 0; ch < c; ch++) {
          const p = pos[ch]!;
          if (p >= 0) dx[p]! += dy[dyOff + ch]!;
        }
      }
    }
  }
}

const kernelFunc: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, input } = inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
  const a = attrs as unknown as tf.MaxPoolGradAttrs;
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    a.filterSize,
    a.strides,
    1,
    a.pad,
    a.dimRoundingMode,
  );
  const simd = lelSimdFor(backend);
  if (simd && input.dtype === 'float32' && dy.dtype === 'float32') {
    // The same choice and the same float32 adds in the same order, four channels at a time.
    const wasm = backend as unknown as WasmBackend;
    const out = wasm.makeOutput(input.shape, 'float32');
    (wasm.typedArrayFromHeap(out) as Float32Array).fill(0);
    const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, strideHeight, strideWidth, filterHeight, filterWidth, padInfo } = info;
    simd.maxpool_grad(heapOffset(backend, input.dataId), heapOffset(backend, dy.dataId), heapOffset(backend, out.dataId), batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, strideHeight, strideWidth, filterHeight, filterWidth, padInfo.top, padInfo.left);
    return out;
  }
  return runJsKernel(backend, [input, dy], input.shape, 'float32', (out, xv, dyv) =>
    maxPoolGradValues(xv as Float32Array, dyv as Float32Array, info, out as Float32Array),
  );
};

/** Kernel configs of {@link MAX_POOL_GRAD}. */
export const maxPoolGradKernelConfigs: tf.KernelConfig[] = ['wasm', 'cpu'].map((backendName) => ({
  kernelName: MAX_POOL_GRAD,
  backendName,
  kernelFunc,
}));

/**
 * MaxPool gradient: on wasm through {@link MAX_POOL_GRAD} (a distinct kernel name, so a backend imported
 * later cannot overwrite the fix); elsewhere tfjs's own gradient.
 */
export function makeMaxPoolGradConfig(original: tf.GradConfig | undefined): tf.GradConfig {
  return {
    kernelName: tf.MaxPool,
    inputsToSave: ['x'],
    outputsToSave: [true],
    gradFunc: (dyIn, saved, attrs) => {
      const dy = dyIn as tf.Tensor;
      if (original && tf.getBackend() !== 'wasm') return original.gradFunc(dy, saved, attrs);
      const [x, y] = saved as [tf.Tensor4D, tf.Tensor4D];
      applyWasmOverrides();
      return {
        x: () => tf.engine().runKernel(MAX_POOL_GRAD, { dy, input: x, output: y }, attrs) as tf.Tensor,
      };
    },
  };
}
