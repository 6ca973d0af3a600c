import * as tf from '@tensorflow/tfjs-core';

// Backends whose tensors are plain host memory and whose kernels finish before they return.
const HOST_MEMORY_BACKENDS: ReadonlySet<string> = new Set(['cpu', 'wasm']);

/**
 * Whether `backend` (tfjs's name; the active backend by default) keeps tensor values in host memory and runs its
 * kernels synchronously: cpu and wasm. There, reading a few values synchronously costs a copy and stalls no queue,
 * so host-side code (a device check, G-Cutout's object search) may read at once; on GPU backends (webgpu, webgl,
 * tfjs-node-gpu) and tfjs-node it must read asynchronously instead.
 */
export function isHostMemoryBackend(backend: string = tf.getBackend()): boolean {
  return HOST_MEMORY_BACKENDS.has(backend);
}
