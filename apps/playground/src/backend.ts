import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, type BackendLoaders } from '@lel/core';
import type { PageBackend } from './protocol';

// Each backend package is its own lazily loaded chunk (a literal import() per package), so a page that runs on
// WebGPU never downloads WebGL's code, and the other way round. The wasm binaries are bundled with the page (vite
// `?url`), so it trains offline once loaded.
const LOADERS: BackendLoaders = {
  webgpu: () => import('@tensorflow/tfjs-backend-webgpu'),
  webgl: () => import('@tensorflow/tfjs-backend-webgl'),
  wasm: () => import('@tensorflow/tfjs-backend-wasm'),
  cpu: () => import('@tensorflow/tfjs-backend-cpu'),
};
const WASM_PATHS = { 'tfjs-backend-wasm.wasm': wasmPlain, 'tfjs-backend-wasm-simd.wasm': wasmSimd, 'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded };

/**
 * Starts `wanted` (or, for `auto`, the first of WebGPU on a hardware adapter, WebGL, wasm, cpu that starts here)
 * with `@lel/core`'s `initBackend`, which applies LEL's kernel fixes to it. Returns the backend that runs and
 * initBackend's notes (e.g. a software WebGPU adapter skipped).
 */
export async function startBackend(wanted: PageBackend | 'auto'): Promise<{ name: PageBackend; notes: string[] }> {
  const info = await initBackend({ backend: wanted, loaders: LOADERS, wasmPaths: WASM_PATHS, environment: 'page' });
  // Shapes as uniforms: one WebGL program per kernel instead of one per kernel and shape (the last batch of an epoch
  // and the evaluation batches would each compile their own), so far fewer shaders to compile before training runs.
  if (info.name === 'webgl') tf.env().set('WEBGL_USE_SHAPES_UNIFORMS', true);
  return { name: info.name as PageBackend, notes: info.notes };
}
