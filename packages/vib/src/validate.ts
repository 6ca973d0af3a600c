import * as tf from '@tensorflow/tfjs-core';

/** Throws unless `x` is a float tensor of the given rank. */
export function assertFloatRank(fn: string, arg: string, x: unknown, rank: number, layout?: string): asserts x is tf.Tensor {
  if (!(x instanceof tf.Tensor)) throw new Error(`${fn}: ${arg} must be a tf.Tensor, got ${typeof x}`);
  if (x.dtype !== 'float32') throw new Error(`${fn}: ${arg} must be float32, got ${x.dtype}`);
  if (x.rank !== rank) throw new Error(`${fn}: ${arg} must have rank ${rank}${layout ? ` (${layout})` : ''}, got shape [${x.shape}]`);
}

/** Throws unless `a` and `b` have equal shapes. */
export function assertSameShape(fn: string, argA: string, a: tf.Tensor, argB: string, b: tf.Tensor): void {
  if (!tf.util.arraysEqual(a.shape, b.shape)) throw new Error(`${fn}: ${argA} [${a.shape}] and ${argB} [${b.shape}] must have the same shape`);
}

/** Throws unless `v` is a finite number ≥ 0. */
export function assertNonNegative(fn: string, arg: string, v: number): void {
  if (!(Number.isFinite(v) && v >= 0)) throw new Error(`${fn}: ${arg} must be a finite number >= 0, got ${v}`);
}

/** Throws unless `v` is a finite number > 0. */
export function assertPositive(fn: string, arg: string, v: number): void {
  if (!(Number.isFinite(v) && v > 0)) throw new Error(`${fn}: ${arg} must be a finite number > 0, got ${v}`);
}
