import * as tf from '@tensorflow/tfjs-core';

/** @internal Throw unless `x` is a tensor of one of the given ranks. */
export function assertRank(fn: string, arg: string, x: tf.Tensor, ranks: number | number[], layout?: string): void {
  if (!(x instanceof tf.Tensor)) throw new Error(`${fn}: ${arg} must be a tf.Tensor, got ${typeof x}`);
  const allowed = Array.isArray(ranks) ? ranks : [ranks];
  if (!allowed.includes(x.rank)) {
    const what = layout ? ` (${layout})` : '';
    throw new Error(`${fn}: ${arg} must have rank ${allowed.join(' or ')}${what}, got shape [${x.shape}]`);
  }
}

/** @internal Throw unless `x` has at least `min` dimensions. */
export function assertMinRank(fn: string, arg: string, x: tf.Tensor, min: number): void {
  if (!(x instanceof tf.Tensor)) throw new Error(`${fn}: ${arg} must be a tf.Tensor, got ${typeof x}`);
  if (x.rank < min) throw new Error(`${fn}: ${arg} must have rank >= ${min}, got shape [${x.shape}]`);
}

/** @internal Throw unless `x` is float32. */
export function assertFloat(fn: string, arg: string, x: tf.Tensor): void {
  if (x.dtype !== 'float32') throw new Error(`${fn}: ${arg} must be float32, got ${x.dtype}`);
}

/** @internal Throw unless `x` is int32. */
export function assertInt(fn: string, arg: string, x: tf.Tensor): void {
  if (x.dtype !== 'int32') throw new Error(`${fn}: ${arg} must be int32, got ${x.dtype}`);
}

/** @internal Throw unless the last dimension of `x` is `n`. */
export function assertLastDim(fn: string, arg: string, x: tf.Tensor, n: number): void {
  const last = x.shape[x.rank - 1];
  if (last !== n) throw new Error(`${fn}: ${arg} must have last dimension ${n}, got shape [${x.shape}]`);
}

/** @internal Throw unless two tensors have the same shape. */
export function assertSameShape(fn: string, argA: string, a: tf.Tensor, argB: string, b: tf.Tensor): void {
  if (!tf.util.arraysEqual(a.shape, b.shape)) {
    throw new Error(`${fn}: ${argA} and ${argB} must have the same shape, got [${a.shape}] and [${b.shape}]`);
  }
}

/** @internal Throw unless `v` is a positive integer. */
export function assertPositiveInt(fn: string, arg: string, v: number): void {
  if (!Number.isInteger(v) || v <= 0) throw new Error(`${fn}: ${arg} must be a positive integer, got ${v}`);
}

/** @internal Throw unless `v` is a non-negative integer. */
export function assertNonNegativeInt(fn: string, arg: string, v: number): void {
  if (!Number.isInteger(v) || v < 0) throw new Error(`${fn}: ${arg} must be a non-negative integer, got ${v}`);
}

/** @internal Throw unless 0 <= p < 1. */
export function assertProbability(fn: string, arg: string, p: number): void {
  if (!(p >= 0 && p < 1)) throw new Error(`${fn}: ${arg} must be in [0, 1), got ${p}`);
}

/** @internal A number or a pair, as PyTorch's `_pair`. */
export function pair(fn: string, arg: string, v: number | readonly [number, number], allowZero = false): [number, number] {
  const p: [number, number] = typeof v === 'number' ? [v, v] : [v[0], v[1]];
  for (const x of p) {
    if (allowZero) assertNonNegativeInt(fn, arg, x);
    else assertPositiveInt(fn, arg, x);
  }
  return p;
}
