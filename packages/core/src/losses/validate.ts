import * as tf from '@tensorflow/tfjs-core';

/** @internal Throw naming the argument when `x` holds a NaN (one host read of a boolean). */
export function assertNoNaN(fn: string, arg: string, x: tf.Tensor): void {
  const bad = tf.tidy(() => tf.any(tf.isNaN(x)));
  const has = bad.dataSync()[0] === 1;
  bad.dispose();
  if (has) throw new Error(`${fn}: ${arg} contains NaN (shape [${x.shape}])`);
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
