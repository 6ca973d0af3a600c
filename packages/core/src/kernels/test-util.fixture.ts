// Helpers shared by the kernels' tests (not exported from the package).
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../backend';
import { describeBackends } from '../testing/backends';
import { registerLelKernels } from './register';

/** One `describe` per test backend (see {@link describeBackends}); the kernels' tests register LEL's kernels in it. */
export const describeEachBackend = describeBackends;

/** Switch backend (inside a test) after registering LEL's kernels. */
export async function onBackend(backend: string): Promise<void> {
  registerLelKernels();
  await useBackend(backend as never);
  // Again after the backend's package is loaded: LEL wraps some of its kernels.
  registerLelKernels();
}

/** A seeded normal tensor: identical values on every backend. */
export function randn(shape: number[], seed: number): tf.Tensor {
  return tf.randomNormal(shape, 0, 1, 'float32', seed);
}

/** Run `fn` on the cpu backend and return plain values (a reference computed by stock tfjs-cpu). */
export async function onCpu(fn: () => tf.Tensor): Promise<Float32Array> {
  const prev = tf.getBackend();
  await useBackend('cpu');
  const t = fn();
  const v = t.dataSync().slice() as Float32Array;
  t.dispose();
  await useBackend(prev as never);
  return v;
}
