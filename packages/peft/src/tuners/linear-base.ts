import type * as tf from '@tensorflow/tfjs-core';
import type { Module, Parameter } from '@lel/core';

/** A dense layer adapters can wrap: `weight` `[in, out]` (+ optional `bias`) and `forward(x)`. */
export interface LinearLike extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter | null;
  forward(x: tf.Tensor): tf.Tensor;
}

/** Whether `m` looks like a dense layer (core `Linear` or an adapter-free equivalent). */
export function isLinearLike(m: Module): m is LinearLike {
  const c = m as unknown as Partial<LinearLike>;
  return typeof c.forward === 'function' && c.weight !== undefined && c.weight !== null && c.weight.shape.length === 2 && 'bias' in c;
}

/** `[inFeatures, outFeatures]` of a {@link LinearLike}. */
export function linearDims(m: LinearLike): [number, number] {
  const [i, o] = m.weight.shape as [number, number];
  return [i, o];
}
