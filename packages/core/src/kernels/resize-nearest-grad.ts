import * as tf from '@tensorflow/tfjs-core';
import { resizeGradKernel } from './resize-grad-kernel';

/** LEL's ResizeNearestNeighborGrad kernel (wasm and cpu). */
export const RESIZE_NEAREST_GRAD = 'LelResizeNearestNeighborGrad';

/** Source index of output row/column `i` exactly as tfjs's resizeNearestNeighbor forward computes it. */
function sourceIndex(i: number, ratio: number, oldSize: number, alignCorners: boolean, halfPixelCenters: boolean): number {
  const frac = halfPixelCenters ? ratio * (i + 0.5) : ratio * i;
  let s = Math.min(oldSize - 1, alignCorners ? Math.round(frac) : Math.floor(frac));
  if (halfPixelCenters) s = Math.max(0, s);
  return s;
}

/**
 * dx of nearest-neighbour resizing as the exact transpose of the forward gather: every dy pixel is added
 * to the input pixel it was copied from. (tfjs-cpu's kernel indexes dy with x's batch stride, so every
 * image after the first gets a wrong gradient.)
 */
export function resizeNearestGradValues(
  dy: Float32Array,
  xShape: number[],
  dyShape: number[],
  alignCorners: boolean,
  halfPixelCenters: boolean,
  dx: Float32Array,
): void {
  const [n, h, w, c] = xShape as [number, number, number, number];
  const [, nh, nw] = dyShape as [number, number, number];
  const ratio = (o: number, nn: number) => ((alignCorners && nn > 1 ? o - 1 : o) / (alignCorners && nn > 1 ? nn - 1 : nn));
  const rr = ratio(h, nh);
  const cr = ratio(w, nw);
  const cols = new Int32Array(nw);
  for (let j = 0; j < nw; j++) cols[j] = sourceIndex(j, cr, w, alignCorners, halfPixelCenters);
  let dyOff = 0;
  for (let b = 0; b < n; b++) {
    for (let r = 0; r < nh; r++) {
      const sr = sourceIndex(r, rr, h, alignCorners, halfPixelCenters);
      const rowBase = (b * h + sr) * w;
      for (let j = 0; j < nw; j++) {
        const base = (rowBase + cols[j]!) * c;
        for (let d = 0; d < c; d++) dx[base + d]! += dy[dyOff++]!;
      }
    }
  }
}

const resizeGrad = resizeGradKernel(RESIZE_NEAREST_GRAD, tf.ResizeNearestNeighbor, resizeNearestGradValues);

/** Kernel configs of {@link RESIZE_NEAREST_GRAD}. */
export const resizeNearestGradKernelConfigs: tf.KernelConfig[] = resizeGrad.kernelConfigs;

/** ResizeNearestNeighbor gradient through {@link RESIZE_NEAREST_GRAD} on wasm and cpu; tfjs's elsewhere. */
export const makeResizeNearestGradConfig: (original: tf.GradConfig | undefined) => tf.GradConfig = resizeGrad.makeGradConfig;
