import * as tf from '@tensorflow/tfjs-core';
import './register-gradients';
import { Module, type TensorModule } from '../module/module';
import { scoped } from '../scope';
import { assertFloat, assertRank, pair } from './validate';

/** Options of the pooling functions. */
export interface Pool2dOptions {
  /** Default: the kernel size (PyTorch). */
  stride?: number | readonly [number, number];
  /** Symmetric padding per side, at most half the kernel (PyTorch). Max-pool pads −∞, avg-pool zeros. */
  padding?: number | readonly [number, number];
}

interface PoolGeometry {
  k: [number, number];
  s: [number, number];
  p: [number, number];
}

function geometry(fn: string, x: tf.Tensor, kernelSize: number | readonly [number, number], o: Pool2dOptions): PoolGeometry {
  assertRank(fn, 'x', x, 4, 'NHWC');
  assertFloat(fn, 'x', x);
  const k = pair(fn, 'kernelSize', kernelSize);
  const s = pair(fn, 'stride', o.stride ?? kernelSize);
  const p = pair(fn, 'padding', o.padding ?? 0, true);
  if (p[0] > k[0] / 2 || p[1] > k[1] / 2) throw new Error(`${fn}: padding [${p}] must be at most half the kernel size [${k}]`);
  const [, h, w] = x.shape as number[];
  if (h! + 2 * p[0] < k[0] || w! + 2 * p[1] < k[1]) {
    throw new Error(`${fn}: input ${h}x${w} (padded ${h! + 2 * p[0]}x${w! + 2 * p[1]}) is smaller than the kernel ${k[0]}x${k[1]}`);
  }
  return { k, s, p };
}

function padHW(x: tf.Tensor4D, p: [number, number], value: number): tf.Tensor4D {
  if (p[0] === 0 && p[1] === 0) return x;
  return tf.pad(x, [[0, 0], [p[0], p[0]], [p[1], p[1]], [0, 0]], value);
}

/** Scatter `v` [N, Ho, Wo, C] back to the positions of padded input [N, hp, wp, C] read by tap (a, b). */
function scatterTap(v: tf.Tensor4D, a: number, b: number, s: [number, number], hp: number, wp: number): tf.Tensor4D {
  let z = v;
  const [n, ho, wo, c] = v.shape;
  if (s[0] > 1) {
    z = tf.reshape(tf.pad(tf.reshape(z, [n, ho, 1, wo * c]), [[0, 0], [0, 0], [0, s[0] - 1], [0, 0]]), [n, ho * s[0], wo, c]);
    z = tf.slice(z, [0, 0, 0, 0], [n, (ho - 1) * s[0] + 1, wo, c]);
  }
  if (s[1] > 1) {
    const h2 = z.shape[1];
    z = tf.reshape(tf.pad(tf.reshape(z, [n * h2, wo, 1, c]), [[0, 0], [0, 0], [0, s[1] - 1], [0, 0]]), [n, h2, wo * s[1], c]);
    z = tf.slice(z, [0, 0, 0, 0], [n, h2, (wo - 1) * s[1] + 1, c]);
  }
  return tf.pad(z, [[0, 0], [a, hp - a - z.shape[1]], [b, wp - b - z.shape[2]], [0, 0]]);
}

/**
 * Max pooling (`F.max_pool2d`, floor mode) on NHWC. Padding is −∞ as PyTorch. The gradient is our own
 * (wasm's MaxPoolGrad drops windows whose values are all negative): each output's gradient goes to the first
 * maximum of its window in row-major order, as PyTorch.
 */
export function maxPool2d(x: tf.Tensor, kernelSize: number | readonly [number, number], options: Pool2dOptions = {}): tf.Tensor4D {
  return scoped('maxPool2d', () => {
    const { k, s, p } = geometry('maxPool2d', x, kernelSize, options);
    const xp = padHW(x as tf.Tensor4D, p, -Infinity);
    const f = tf.customGrad((...args: unknown[]) => {
      const [xIn, save] = args as [tf.Tensor4D, tf.GradSaveFunc];
      const value = tf.maxPool(xIn, k, s, 'valid');
      save([xIn, value]);
      const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor => {
        const [xs, y] = saved as [tf.Tensor4D, tf.Tensor4D];
        const [n, hp, wp, c] = xs.shape;
        const [, ho, wo] = y.shape;
        let taken: tf.Tensor4D = tf.zeros([n, ho, wo, c]);
        let dx: tf.Tensor4D = tf.zeros(xs.shape);
        for (let a = 0; a < k[0]; a++) {
          for (let b = 0; b < k[1]; b++) {
            const tap =
              s[0] === 1 && s[1] === 1
                ? tf.slice(xs, [0, a, b, 0], [n, ho, wo, c])
                : (tf.stridedSlice(xs, [0, a, b, 0], [n, a + (ho - 1) * s[0] + 1, b + (wo - 1) * s[1] + 1, c], [1, s[0], s[1], 1]) as tf.Tensor4D);
            const hit = tf.mul(tf.cast(tf.equal(tap, y), 'float32'), tf.sub(1, taken)) as tf.Tensor4D;
            taken = tf.add(taken, hit);
            dx = tf.add(dx, scatterTap(tf.mul(dy, hit) as tf.Tensor4D, a, b, s, hp, wp));
          }
        }
        return dx;
      };
      return { value, gradFunc };
    });
    return f(xp) as tf.Tensor4D;
  });
}

/** Average pooling (`F.avg_pool2d`, floor mode, count_include_pad = true: padded zeros count in the mean). */
export function avgPool2d(x: tf.Tensor, kernelSize: number | readonly [number, number], options: Pool2dOptions = {}): tf.Tensor4D {
  return scoped('avgPool2d', () => {
    const { k, s, p } = geometry('avgPool2d', x, kernelSize, options);
    return tf.avgPool(padHW(x as tf.Tensor4D, p, 0), k, s, 'valid');
  });
}

/** Mean over H and W of NHWC x: `[N, C]`, or `[N, 1, 1, C]` with `keepDims` (= `AdaptiveAvgPool2d(1)`). */
export function globalAvgPool2d(x: tf.Tensor, options: { keepDims?: boolean } = {}): tf.Tensor {
  return scoped('globalAvgPool2d', () => {
    assertRank('globalAvgPool2d', 'x', x, 4, 'NHWC');
    return tf.mean(x, [1, 2], options.keepDims ?? false);
  });
}

/** `nn.MaxPool2d(kernelSize, stride = kernelSize, padding = 0)` on NHWC. */
export class MaxPool2d extends Module implements TensorModule {
  constructor(
    readonly kernelSize: number | readonly [number, number],
    readonly stride: number | readonly [number, number] = kernelSize,
    readonly padding: number | readonly [number, number] = 0,
  ) {
    super();
  }
  forward(x: tf.Tensor): tf.Tensor4D {
    return maxPool2d(x, this.kernelSize, { stride: this.stride, padding: this.padding });
  }
}

/** `nn.AvgPool2d(kernelSize, stride = kernelSize, padding = 0)` on NHWC. */
export class AvgPool2d extends Module implements TensorModule {
  constructor(
    readonly kernelSize: number | readonly [number, number],
    readonly stride: number | readonly [number, number] = kernelSize,
    readonly padding: number | readonly [number, number] = 0,
  ) {
    super();
  }
  forward(x: tf.Tensor): tf.Tensor4D {
    return avgPool2d(x, this.kernelSize, { stride: this.stride, padding: this.padding });
  }
}

/** `nn.AdaptiveAvgPool2d(1)` followed by flatten: NHWC → `[N, C]` (`keepDims` for `[N, 1, 1, C]`). */
export class GlobalAvgPool2d extends Module implements TensorModule {
  constructor(readonly keepDims = false) {
    super();
  }
  forward(x: tf.Tensor): tf.Tensor {
    return globalAvgPool2d(x, { keepDims: this.keepDims });
  }
}
