// Helpers of the WebGPU kernels' tests (not exported from the package).
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect } from 'vitest';
import { webgpuSkipReason } from '../../testing/backends';
import { onBackend } from '../test-util.fixture';
import { setWebGPUOverrides } from './overrides';

/** Why WebGPU tests are skipped here, or undefined when an adapter exists (resolved once, at import). */
export const webgpuSkip = await webgpuSkipReason();

/**
 * A `describe` on the webgpu backend, skipped (and saying why in its name) where no adapter exists. Tests get
 * 4 minutes: on a software adapter (lavapipe) every new shader is compiled on the CPU.
 */
export function describeWebGPU(name: string, body: () => void): void {
  describe.skipIf(webgpuSkip !== undefined)(`${name} [webgpu]${webgpuSkip ? ` — skipped: ${webgpuSkip}` : ''}`, { timeout: 240_000 }, body);
}

/** Switch to webgpu with LEL's kernels (inside a test). */
export function onWebGPU(): Promise<void> {
  return onBackend('webgpu');
}

/** `fn`'s result on `backend` as plain values (the backend is restored to webgpu afterwards). */
export async function valuesOn(backend: string, fn: () => tf.Tensor | tf.Tensor[]): Promise<Float32Array[]> {
  await onBackend(backend);
  const out = fn();
  const list = Array.isArray(out) ? out : [out];
  const values = await Promise.all(list.map(async (t) => (await t.data()).slice() as Float32Array));
  tf.dispose(list);
  await onWebGPU();
  return values;
}

/** max |a − b| / max |b| (the float32-rounding yardstick of LEL's webgpu kernel tests). */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff === 0 ? 0 : diff / scale;
}

/** `fn` with LEL's webgpu kernel overrides off (tfjs-webgpu's stock kernels), restored afterwards even if it throws. */
export async function withStockWebGPU<T>(fn: () => Promise<T>): Promise<T> {
  setWebGPUOverrides(false);
  try {
    return await fn();
  } finally {
    setWebGPUOverrides(true);
  }
}

/**
 * Expects every output of `run` on webgpu with LEL's fused kernels within `tol` ({@link relErr}) of the same ops on
 * tfjs-webgpu's stock kernels and on tfjs-cpu. `name(k)` names output k in the failure messages.
 */
export async function expectFusedMatchesOps(run: () => tf.Tensor[], tol: number, name: (k: number) => string): Promise<void> {
  const fused = await valuesOn('webgpu', run);
  const cpu = await valuesOn('cpu', run);
  const plain = await withStockWebGPU(() => valuesOn('webgpu', run));
  expect(fused.length).toBe(plain.length);
  fused.forEach((v, k) => {
    expect(relErr(v, plain[k]!), `${name(k)} vs webgpu ops`).toBeLessThan(tol);
    expect(relErr(v, cpu[k]!), `${name(k)} vs cpu`).toBeLessThan(tol);
  });
}
