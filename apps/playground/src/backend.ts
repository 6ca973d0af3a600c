import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { registerLelKernels } from '@lel/core';
import type { PageBackend } from './protocol';

// The wasm binaries are bundled with the page (vite `?url`), so it trains offline once loaded.
setWasmPaths({ 'tfjs-backend-wasm.wasm': wasmPlain, 'tfjs-backend-wasm-simd.wasm': wasmSimd, 'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded });

/** In a page, fastest first: WebGPU, then WebGL, then wasm (cpu: the slow reference). */
export const PAGE_BACKENDS: readonly PageBackend[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

/**
 * Switch tfjs to `wanted` (or, for `auto`, the first of {@link PAGE_BACKENDS} that initialises here) and apply
 * LEL's kernel fixes to it. Returns the backend that runs.
 */
export async function startBackend(wanted: PageBackend | 'auto'): Promise<PageBackend> {
  const candidates = wanted === 'auto' ? PAGE_BACKENDS : [wanted];
  for (const name of candidates) {
    try {
      if (await tf.setBackend(name)) {
        await tf.ready();
        registerLelKernels();
        return name;
      }
    } catch {
      // not available in this browser (no WebGPU adapter, no WebGL context…): try the next one
    }
  }
  throw new Error(`no TensorFlow.js backend could start here (tried ${candidates.join(', ')})`);
}
