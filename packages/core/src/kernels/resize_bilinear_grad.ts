import * as tf from '@tensorflow/tfjs-core';
import { resizeGradKernel } from './resize_grad_kernel';

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

const resizeGrad = resizeGradKernel(RESIZE_BILINEAR_GRAD, tf.ResizeBilinear, resizeBilinearGradValues);

/** Kernel configs of {@link RESIZE_BILINEAR_GRAD}. */
export const resizeBilinearGradKernelConfigs: tf.KernelConfig[] = resizeGrad.kernelConfigs;

/** ResizeBilinear gradient through {@link RESIZE_BILINEAR_GRAD} on wasm and cpu; tfjs's elsewhere. */
export const makeResizeBilinearGradConfig: (original: tf.GradConfig | undefined) => tf.GradConfig = resizeGrad.makeGradConfig;
