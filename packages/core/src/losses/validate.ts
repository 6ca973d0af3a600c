import * as tf from '@tensorflow/tfjs-core';
import { deviceCheck } from '../device-checks';

/**
 * A loss input holding NaN (a diverged model's logits, say): names the loss (`fn`), its argument and the shape.
 * `fit` turns it into a `NonFiniteLossError` with the step and the last good checkpoint.
 */
export class NonFiniteTensorError extends Error {
  readonly fn: string;
  readonly arg: string;
  readonly shape: number[];
  constructor(fn: string, arg: string, shape: number[]) {
    super(`${fn}: ${arg} contains NaN (shape [${shape}])`);
    this.name = 'NonFiniteTensorError';
    this.fn = fn;
    this.arg = arg;
    this.shape = shape;
  }
}

/**
 * @internal Throw a {@link NonFiniteTensorError} naming the argument when `x` holds a NaN: at once on cpu/wasm, at
 * the next read on GPU backends (a device-side check, no synchronous read).
 */
export function assertNoNaN(fn: string, arg: string, x: tf.Tensor): void {
  if (x.size === 0) return;
  const shape = [...x.shape];
  deviceCheck(
    () => tf.cast(tf.any(tf.isNaN(x)), 'int32'),
    (v) => (v[0] ? new NonFiniteTensorError(fn, arg, shape) : undefined),
  );
}

/** @internal Throw unless `x` is a float32 tensor with at least `minRank` dimensions. */
export function assertFloatTensor(fn: string, arg: string, x: tf.Tensor, minRank = 1): void {
  if (!(x instanceof tf.Tensor)) throw new Error(`${fn}: ${arg} must be a tf.Tensor, got ${typeof x}`);
  if (x.dtype !== 'float32') throw new Error(`${fn}: ${arg} must be float32, got ${x.dtype}`);
  if (x.rank < minRank) throw new Error(`${fn}: ${arg} must have rank >= ${minRank}, got shape [${x.shape}]`);
}

/** @internal Throw unless `a` and `b` have the same shape. */
export function assertSameShape(fn: string, argA: string, a: tf.Tensor, argB: string, b: tf.Tensor): void {
  if (!tf.util.arraysEqual(a.shape, b.shape)) {
    throw new Error(`${fn}: ${argA} and ${argB} must have the same shape, got [${a.shape}] and [${b.shape}]`);
  }
}
