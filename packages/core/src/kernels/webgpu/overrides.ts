import * as tf from '@tensorflow/tfjs-core';
import { nameWebGPUKernels } from '../../webgpu/device-errors';
import { makeConv2dBackpropFilterWebGPUConfig } from './conv2d-backprop-filter';

/** A LEL kernel that replaces tfjs-webgpu's kernel of the same name, keeping the stock one as fallback. */
interface Override {
  kernelName: string;
  make(stock: tf.KernelFunc | undefined): tf.KernelConfig;
}

const OVERRIDES: Override[] = [{ kernelName: tf.Conv2DBackpropFilter, make: (stock) => makeConv2dBackpropFilterWebGPUConfig(stock) }];

const LEL = Symbol.for('lel.webgpu.override');
const INNER = Symbol.for('lel.webgpu.inner');
type Marked = tf.KernelFunc & { [LEL]?: true; [INNER]?: tf.KernelFunc };

function isOurs(f: tf.KernelFunc | undefined): boolean {
  const m = f as Marked | undefined;
  return Boolean(m?.[LEL] || (m?.[INNER] as Marked | undefined)?.[LEL]);
}

/** Whether LEL's kernel (not tfjs-webgpu's) is registered under `kernelName` for webgpu. */
export function lelWebGPUOverrideActive(kernelName: string): boolean {
  return isOurs(tf.getKernel(kernelName, 'webgpu')?.kernelFunc);
}

/**
 * Put LEL's WebGPU kernels over tfjs-webgpu's same-named ones (idempotent, cheap). tfjs-backend-webgpu
 * registers its kernels when imported, possibly after @lel/core, so this runs again whenever a backend is
 * loaded; the stock kernel is kept as the fallback for cases LEL's kernel does not cover.
 */
export function applyWebGPUOverrides(): void {
  // Before tfjs-backend-webgpu is imported there is nothing to replace (and replacing early would be undone).
  if (!webgpuKernelsEnabled || !('webgpu' in tf.engine().registryFactory)) return;
  for (const o of OVERRIDES) {
    const current = tf.getKernel(o.kernelName, 'webgpu');
    if (isOurs(current?.kernelFunc)) continue;
    const stock = current?.kernelFunc;
    if (stock) stockOf.set(o.kernelName, stock);
    const config = o.make(stock);
    (config.kernelFunc as Marked)[LEL] = true;
    if (current) tf.unregisterKernel(o.kernelName, 'webgpu');
    tf.registerKernel(config);
  }
  nameWebGPUKernels();
}

/**
 * @internal Benchmarks: LEL's WebGPU kernels on (`true`) or tfjs-webgpu's stock kernels only (`false`), to
 * compare both in one process. Also switches LEL's fused webgpu paths (Adam, LayerNorm, softmax-CE) off.
 */
export function setWebGPUOverrides(enabled: boolean): void {
  webgpuKernelsEnabled = enabled;
  if (enabled) {
    applyWebGPUOverrides();
    return;
  }
  for (const o of OVERRIDES) {
    const current = tf.getKernel(o.kernelName, 'webgpu');
    const stock = stockOf.get(o.kernelName);
    if (!current || !isOurs(current.kernelFunc) || !stock) continue;
    tf.unregisterKernel(o.kernelName, 'webgpu');
    tf.registerKernel({ ...current, kernelFunc: stock });
  }
  nameWebGPUKernels();
}

let webgpuKernelsEnabled = true;
/** Whether LEL's fused webgpu paths are on (see {@link setWebGPUOverrides}). */
export function lelWebGPUKernelsEnabled(): boolean {
  return webgpuKernelsEnabled;
}

const stockOf = new Map<string, tf.KernelFunc>();
