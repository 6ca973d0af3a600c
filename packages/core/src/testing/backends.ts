import { createRequire } from 'node:module';
import { useBackend } from '../backend';

const require = createRequire(import.meta.url);

function resolvable(pkg: string): boolean {
  try {
    require.resolve(pkg);
    return true;
  } catch {
    return false;
  }
}

/**
 * Backends a test suite should run on: env `LEL_TEST_BACKENDS` (comma list, e.g. `webgpu` or `wasm,cpu`) when
 * set, else every installed backend among tensorflow (tfjs-node), wasm and cpu. `LEL_BACKEND` alone narrows to
 * one. `webgpu` runs only when named (on a software adapter it is slow; CI runs it as a separate pass).
 */
export function testBackends(): string[] {
  const env = process.env.LEL_TEST_BACKENDS ?? process.env.LEL_BACKEND;
  if (env) return env.split(',').map((s) => s.trim()).filter(Boolean);
  const out: string[] = [];
  if (resolvable('@tensorflow/tfjs-node')) out.push('tensorflow');
  if (resolvable('@tensorflow/tfjs-backend-wasm')) out.push('wasm');
  if (resolvable('@tensorflow/tfjs-backend-cpu')) out.push('cpu');
  return out;
}

let webgpuReason: Promise<string | undefined> | undefined;

/**
 * Why WebGPU tests cannot run here (no `webgpu`/tfjs-backend-webgpu package, or no adapter: on Linux without
 * a GPU install Mesa's lavapipe, `mesa-vulkan-drivers` from bookworm-backports), or undefined when they can.
 * Switches to the webgpu backend once to find out.
 */
export function webgpuSkipReason(): Promise<string | undefined> {
  webgpuReason ??= (async () => {
    if (!resolvable('@tensorflow/tfjs-backend-webgpu')) return '@tensorflow/tfjs-backend-webgpu is not installed';
    try {
      await useBackend('webgpu');
      return undefined;
    } catch (e) {
      return `no WebGPU adapter (${(e as Error).message}); on Linux without a GPU install mesa-vulkan-drivers (≥ 23, bookworm-backports) and libvulkan1`;
    }
  })();
  return webgpuReason;
}
