import type * as tf from '@tensorflow/tfjs-core';
import type { WebGPUBackendLike } from '../../webgpu/gpu-types';
import { ENTRY_BUILTINS, WORKGROUP_INDEX, runLelProgram, uniforms, type LelProgram } from './program';

const program: LelProgram = {
  name: 'LelSumSplits',
  key: 'LelSumSplits',
  workgroups: [1],
  wgsl: () => `
struct U { size: i32, splits: i32 };
@group(0) @binding(0) var<storage, read_write> result: array<f32>;
@group(0) @binding(1) var<storage, read> partial: array<f32>;
@group(0) @binding(2) var<uniform> u: U;
@compute @workgroup_size(256)
fn main(${ENTRY_BUILTINS}) {
  let idx = i32(${WORKGROUP_INDEX}) * 256 + i32(lid);
  if (idx >= u.size) { return; }
  var s = 0.0;
  for (var p = 0; p < u.splits; p = p + 1) { s = s + partial[p * u.size + idx]; }
  result[idx] = s;
}`,
};

/**
 * `out = Σ_s partial[s]` for partial sums `[splits, size]` written by a split reduction (in split order,
 * one thread per output element). `out` must hold `size` floats.
 */
export function sumSplitsInto(backend: WebGPUBackendLike, partial: tf.TensorInfo, splits: number, size: number, out: tf.TensorInfo): tf.TensorInfo {
  return runLelProgram(backend, { ...program, workgroups: [Math.ceil(size / 256)] }, [out], [partial], uniforms([['i32', size], ['i32', splits]]))[0]!;
}
