import * as tf from '@tensorflow/tfjs-core';
import { runJsKernel } from './js-kernel';
import { heapOffset, lelSimdFor, type LelSimd } from './simd/lel-simd';
import type { WasmBackend } from './wasm/backend';

/** Name of LEL's transposed-im2col kernel (registered for wasm and cpu). */
export const IM2COL_T = 'LelIm2ColT';

/** Attributes of {@link IM2COL_T}: the geometry of the NHWC convolution whose patches are gathered. */
export interface Im2ColAttrs {
  filterShape: [number, number, number, number];
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dilations: [number, number] | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/**
 * The copies that make `colsT` (see {@link im2colT}): for each tap (i, j) and output row, the in-image run of
 * `count` output pixels reads input pixels `srcStride` elements apart starting at `src` (channel 0), and its
 * channel c goes to colsT row (i·kw + j)·cin + c at column `dst` (+ c·M). Taps outside the image are skipped
 * (they stay zero).
 */
export function im2colRuns(xShape: number[], info: tf.backend_util.Conv2DInfo, visit: (src: number, count: number, srcStride: number, dst: number) => void): void {
  const [n, h, w, c] = xShape as [number, number, number, number];
  const { outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = info;
  const kh = info.filterHeight;
  const kw = info.filterWidth;
  const pt = info.padInfo.top;
  const pl = info.padInfo.left;
  const m = n * oh * ow;
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      // Output columns whose tap (i, j) lands inside the image, computed once per tap.
      const xMin = Math.max(0, Math.ceil((pl - j * dw) / sw));
      const xMax = Math.min(ow, Math.ceil((w + pl - j * dw) / sw));
      if (xMax <= xMin) continue;
      const rowBase = (i * kw + j) * c * m;
      for (let b = 0; b < n; b++) {
        for (let y = 0; y < oh; y++) {
          const iy = y * sh - pt + i * dh;
          if (iy < 0 || iy >= h) continue;
          visit(((b * h + iy) * w + xMin * sw - pl + j * dw) * c, xMax - xMin, sw * c, rowBase + (b * oh + y) * ow + xMin);
        }
      }
    }
  }
}

/**
 * Patches of an NHWC input laid out as `colsT[K, M]` with K = kh·kw·cin (row (i·kw + j)·cin + c) and
 * M = n·oh·ow: already transposed, so `colsT · dy2d` (the filter gradient) is a matMul without transpose
 * flags. `out` must be zero-filled: out-of-image taps stay zero.
 */
export function im2colT(x: Float32Array, xShape: number[], info: tf.backend_util.Conv2DInfo, out: Float32Array): void {
  const c = xShape[3]!;
  const m = xShape[0]! * info.outHeight * info.outWidth;
  im2colRuns(xShape, info, (src, count, srcStride, dst) => {
    for (let ch = 0; ch < c; ch++) {
      const row = dst + ch * m;
      for (let r = 0; r < count; r++) out[row + r] = x[src + r * srcStride + ch]!;
    }
  });
}

/** Conv2D geometry (NHWC) from {@link Im2ColAttrs}. */
export function im2colInfo(xShape: number[], attrs: Im2ColAttrs): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    attrs.filterShape,
    attrs.strides,
    attrs.dilations,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
}

/** {@link im2colT} on the wasm heap: each run is one SIMD transpose of [pixels, cin] into colsT. Same values. */
function im2colTSimd(simd: LelSimd, xOff: number, xShape: number[], info: tf.backend_util.Conv2DInfo, outOff: number): void {
  const c = xShape[3]!;
  const m = xShape[0]! * info.outHeight * info.outWidth;
  im2colRuns(xShape, info, (src, count, srcStride, dst) => simd.transpose2d(xOff + src * 4, count, c, srcStride, outOff + dst * 4, m));
}

const im2colKernelFunc: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const x = (inputs as { x: tf.TensorInfo }).x;
  const a = attrs as unknown as Im2ColAttrs;
  const info = im2colInfo(x.shape, a);
  const k = info.filterHeight * info.filterWidth * info.inChannels;
  const m = info.batchSize * info.outHeight * info.outWidth;
  const simd = lelSimdFor(backend);
  if (simd && x.dtype === 'float32' && k * m > 0) {
    const wasm = backend as unknown as WasmBackend;
    const out = wasm.makeOutput([k, m], 'float32');
    (wasm.typedArrayFromHeap(out) as Float32Array).fill(0);
    im2colTSimd(simd, heapOffset(backend, x.dataId), x.shape, info, heapOffset(backend, out.dataId));
    return out;
  }
  return runJsKernel(backend, [x], [k, m], 'float32', (out, xv) => im2colT(xv as Float32Array, x.shape, info, out as Float32Array));
};

/** Kernel configs of {@link IM2COL_T} for the backends LEL computes on in JavaScript. */
export const im2colKernelConfigs: tf.KernelConfig[] = ['wasm', 'cpu'].map((backendName) => ({
  kernelName: IM2COL_T,
  backendName,
  kernelFunc: im2colKernelFunc,
}));

/** `colsT[kh·kw·cin, n·oh·ow]` of an NHWC tensor (see {@link im2colT}); not differentiable. */
export function im2colTranspose(x: tf.Tensor4D, attrs: Im2ColAttrs): tf.Tensor2D {
  return tf.engine().runKernel(IM2COL_T, { x }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor2D;
}
