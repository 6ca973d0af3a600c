import * as tf from '@tensorflow/tfjs-core';
import './register-gradients';
import { RESIZE_BILINEAR_GRAD } from '../kernels/resize-bilinear-grad';
import { lelResizeGradActive } from '../kernels/resize-grad-kernel';
import { scoped } from '../scope';
import { assertFloat, assertPositiveInt, assertRank } from './validate';

/** Options of {@link resizeBilinear}. */
export interface ResizeBilinearOptions {
  /** PyTorch's `align_corners` (default false: half-pixel centres). */
  alignCorners?: boolean;
}

/** Row-major [out, in] interpolation matrix of PyTorch's bilinear (1-D linear) resampling. */
export function bilinearMatrix(inSize: number, outSize: number, alignCorners: boolean): Float32Array {
  const m = new Float32Array(outSize * inSize);
  for (let o = 0; o < outSize; o++) {
    let src: number;
    if (alignCorners) src = outSize > 1 ? (o * (inSize - 1)) / (outSize - 1) : 0;
    else src = Math.max(0, ((o + 0.5) * inSize) / outSize - 0.5);
    const i0 = Math.min(Math.floor(src), inSize - 1);
    const i1 = Math.min(i0 + 1, inSize - 1);
    const frac = src - i0;
    m[o * inSize + i0]! += 1 - frac;
    m[o * inSize + i1]! += frac;
  }
  return m;
}

/** Source index of each output row/column of PyTorch's `mode='nearest'`: min(floor(dst·(in/out)), in − 1), in float32. */
export function nearestIndices(inSize: number, outSize: number): Int32Array {
  const scale = Math.fround(inSize / outSize);
  const idx = new Int32Array(outSize);
  for (let o = 0; o < outSize; o++) idx[o] = Math.min(Math.floor(Math.fround(o * scale)), inSize - 1);
  return idx;
}

/**
 * y[n] = Ah · x[n] · Awᵀ per channel for NHWC x, with plain matMuls only (no transpose flags: the fast wasm path).
 * Ah: [Ho, H], Aw: [Wo, W].
 */
function separable(x: tf.Tensor4D, ah: tf.Tensor2D, aw: tf.Tensor2D): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const ho = ah.shape[0];
  const wo = aw.shape[0];
  const t1 = tf.matMul(ah, tf.reshape(tf.transpose(x, [1, 0, 2, 3]), [h, n * w * c]) as tf.Tensor2D);
  const t2 = tf.reshape(tf.transpose(tf.reshape(t1, [ho, n, w, c]), [2, 1, 0, 3]), [w, n * ho * c]) as tf.Tensor2D;
  const t3 = tf.matMul(aw, t2);
  return tf.transpose(tf.reshape(t3, [wo, n, ho, c]), [1, 2, 0, 3]);
}

function transposedMatrix(m: Float32Array, rows: number, cols: number): tf.Tensor2D {
  const t = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = m[r * cols + c]!;
  return tf.tensor2d(t, [cols, rows]);
}

function checkResize(fn: string, x: tf.Tensor, size: readonly [number, number]): void {
  assertRank(fn, 'x', x, 4, 'NHWC');
  assertFloat(fn, 'x', x);
  if (!Array.isArray(size) || size.length !== 2) throw new Error(`${fn}: size must be [height, width], got ${JSON.stringify(size)}`);
  assertPositiveInt(fn, 'size[0] (height)', size[0]);
  assertPositiveInt(fn, 'size[1] (width)', size[1]);
}

/**
 * Bilinear resize of NHWC x to `[h, w]` with PyTorch's `F.interpolate(mode='bilinear')` semantics (no antialias;
 * align_corners=False = tf's halfPixelCenters). tfjs's kernel; the gradient is the ResizeBilinear gradient that
 * `registerLelKernels` installs on wasm, cpu and webgpu (the exact transpose of the forward interpolation).
 */
export function resizeBilinear(x: tf.Tensor, size: readonly [number, number], options: ResizeBilinearOptions = {}): tf.Tensor4D {
  return scoped('resizeBilinear', () => {
    checkResize('resizeBilinear', x, size);
    const alignCorners = options.alignCorners ?? false;
    const [, h, w] = x.shape as [number, number, number, number];
    const [ho, wo] = size;
    if (lelResizeGradActive(RESIZE_BILINEAR_GRAD)) return tf.image.resizeBilinear(x as tf.Tensor4D, [ho, wo], alignCorners, !alignCorners);
    // Kept: where LEL's kernel does not serve (tfjs-node; stock webgpu) the registered gradient is tfjs's, whose
    // ResizeBilinearGrad ignores halfPixelCenters.
    const f = tf.customGrad((...args: unknown[]) => {
      const [xIn] = args as [tf.Tensor4D];
      const value = tf.image.resizeBilinear(xIn, [ho, wo], alignCorners, !alignCorners);
      const gradFunc = (dy: tf.Tensor): tf.Tensor =>
        separable(dy as tf.Tensor4D, transposedMatrix(bilinearMatrix(h, ho, alignCorners), ho, h), transposedMatrix(bilinearMatrix(w, wo, alignCorners), wo, w));
      return { value, gradFunc };
    });
    return f(x) as tf.Tensor4D;
  });
}

/**
 * Nearest-neighbour resize of NHWC x to `[h, w]` with PyTorch's `mode='nearest'` (src = floor(dst·in/out), in
 * float32). Forward by gather (PyTorch's indices, which tfjs's resizeNearestNeighbor does not reproduce exactly);
 * the gradient is tfjs's gather gradient (UnsortedSegmentSum, which `registerLelKernels` adds to wasm).
 */
export function resizeNearest(x: tf.Tensor, size: readonly [number, number]): tf.Tensor4D {
  return scoped('resizeNearest', () => {
    checkResize('resizeNearest', x, size);
    const [, h, w] = x.shape as [number, number, number, number];
    const [ho, wo] = size;
    const rows = tf.gather(x, tf.tensor1d(nearestIndices(h, ho), 'int32'), 1);
    return tf.gather(rows, tf.tensor1d(nearestIndices(w, wo), 'int32'), 2) as tf.Tensor4D;
  });
}
