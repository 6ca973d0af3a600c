import * as tf from '@tensorflow/tfjs-core';
import { resizeGradKernel, type FastResizeGrad } from './resize-grad-kernel';
import { heapOffset, lelSimdFor } from './simd/lel-simd';
import type { WasmBackend } from './wasm/backend';

/** LEL's ResizeBilinearGrad kernel (wasm and cpu). */
export const RESIZE_BILINEAR_GRAD = 'LelResizeBilinearGrad';

/** Source rows/columns and fraction of output index `i`, exactly as tfjs's resizeBilinear forward computes them. */
function taps(i: number, ratio: number, oldSize: number, halfPixelCenters: boolean): [number, number, number] {
  const frac = halfPixelCenters ? ratio * (i + 0.5) - 0.5 : ratio * i;
  const lo = Math.max(0, Math.floor(frac));
  const hi = Math.min(oldSize - 1, Math.ceil(frac));
  return [lo, hi, frac - lo];
}

/**
 * dx of bilinear resizing as the exact transpose of tfjs's forward interpolation: each dy pixel is spread
 * over its four source pixels with the forward weights. Both backends' ResizeBilinearGrad ignore
 * halfPixelCenters (PyTorch's align_corners=False), and tfjs-cpu's is also wrong for some batch/size cases.
 */
export function resizeBilinearGradValues(
  dy: Float32Array,
  xShape: number[],
  dyShape: number[],
  alignCorners: boolean,
  halfPixelCenters: boolean,
  dx: Float32Array,
): void {
  const [n, h, w, c] = xShape as [number, number, number, number];
  const [, nh, nw] = dyShape as [number, number, number];
  const ratio = (o: number, nn: number) => (alignCorners && nn > 1 ? o - 1 : o) / (alignCorners && nn > 1 ? nn - 1 : nn);
  const rr = ratio(h, nh);
  const cr = ratio(w, nw);
  const cols = Array.from({ length: nw }, (_, j) => taps(j, cr, w, halfPixelCenters));
  let o = 0;
  for (let b = 0; b < n; b++) {
    for (let r = 0; r < nh; r++) {
      const [top, bot, rf] = taps(r, rr, h, halfPixelCenters);
      const topBase = (b * h + top) * w;
      const botBase = (b * h + bot) * w;
      for (let j = 0; j < nw; j++) {
        const [left, right, cf] = cols[j]!;
        const tl = (topBase + left) * c;
        const tr = (topBase + right) * c;
        const bl = (botBase + left) * c;
        const br = (botBase + right) * c;
        const wtl = (1 - rf) * (1 - cf);
        const wtr = (1 - rf) * cf;
        const wbl = rf * (1 - cf);
        const wbr = rf * cf;
        for (let d = 0; d < c; d++) {
          const g = dy[o++]!;
          dx[tl + d]! += g * wtl;
          dx[tr + d]! += g * wtr;
          dx[bl + d]! += g * wbl;
          dx[br + d]! += g * wbr;
        }
      }
    }
  }
}

/**
 * {@link resizeBilinearGradValues} in LEL's SIMD module on wasm: the same taps (computed here), weights and
 * float64 multiply-adds rounded to float32, in the same order, two channels at a time.
 */
const simdResizeBilinearGrad: FastResizeGrad = (backend, images, dy, alignCorners, halfPixelCenters) => {
  const simd = lelSimdFor(backend);
  if (!simd || images.dtype !== 'float32' || dy.dtype !== 'float32') return undefined;
  const wasm = backend as WasmBackend;
  const [n, h, w, c] = images.shape as [number, number, number, number];
  const [, nh, nw] = dy.shape as [number, number, number];
  const ratio = (o: number, nn: number) => (alignCorners && nn > 1 ? o - 1 : o) / (alignCorners && nn > 1 ? nn - 1 : nn);
  const out = wasm.makeOutput(images.shape, 'float32');
  // Tap records {i32 lo, i32 hi, f64 frac}, 16 bytes each, in scratch tensors on the heap.
  const rows = wasm.makeOutput([4 * nh], 'float32');
  const cols = wasm.makeOutput([4 * nw], 'float32');
  try {
    (wasm.typedArrayFromHeap(out) as Float32Array).fill(0);
    const write = (t: tf.TensorInfo, count: number, r: number, size: number) => {
      const view = wasm.typedArrayFromHeap(t);
      const dv = new DataView(view.buffer, view.byteOffset, count * 16);
      for (let i = 0; i < count; i++) {
        const [lo, hi, frac] = taps(i, r, size, halfPixelCenters);
        dv.setInt32(i * 16, lo, true);
        dv.setInt32(i * 16 + 4, hi, true);
        dv.setFloat64(i * 16 + 8, frac, true);
      }
    };
    write(rows, nh, ratio(h, nh), h);
    write(cols, nw, ratio(w, nw), w);
    simd.bilinear_grad(heapOffset(backend, dy.dataId), heapOffset(backend, out.dataId), n, h, w, c, nh, nw, heapOffset(backend, rows.dataId), heapOffset(backend, cols.dataId));
  } finally {
    wasm.disposeData(rows.dataId);
    wasm.disposeData(cols.dataId);
  }
  return out;
};

const resizeGrad = resizeGradKernel(RESIZE_BILINEAR_GRAD, tf.ResizeBilinear, resizeBilinearGradValues, simdResizeBilinearGrad);

/** Kernel configs of {@link RESIZE_BILINEAR_GRAD}. */
export const resizeBilinearGradKernelConfigs: tf.KernelConfig[] = resizeGrad.kernelConfigs;

/** ResizeBilinear gradient through {@link RESIZE_BILINEAR_GRAD} on wasm and cpu; tfjs's elsewhere. */
export const makeResizeBilinearGradConfig: (original: tf.GradConfig | undefined) => tf.GradConfig = resizeGrad.makeGradConfig;
