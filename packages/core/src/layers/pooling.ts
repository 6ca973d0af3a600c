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

/**
 * Max pooling (`F.max_pool2d`, floor mode) on NHWC. Padding is −∞ as PyTorch. The gradient is the MaxPool
 * gradient that `registerLelKernels` installs: each output's gradient goes to the first maximum of its window in
 * row-major order, as PyTorch, also for all-negative windows (a LEL kernel on wasm, whose MaxPoolGrad drops them).
 */
export function maxPool2d(x: tf.Tensor, kernelSize: number | readonly [number, number], options: Pool2dOptions = {}): tf.Tensor4D {
  return scoped('maxPool2d', () => {
    const { k, s, p } = geometry('maxPool2d', x, kernelSize, options);
    return tf.maxPool(padHW(x as tf.Tensor4D, p, -Infinity), k, s, 'valid');
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
