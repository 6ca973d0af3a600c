import { createRequire } from 'node:module';
import { describe } from 'vitest';
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

// Known before suites are collected (top-level await; only when a webgpu pass is asked for), so a webgpu suite
// without an adapter is skipped with the reason in its title instead of failing in its hooks.
const webgpuReasonAtLoad = testBackends().includes('webgpu') ? await webgpuSkipReason() : undefined;

/**
 * One `describe(`${name} [backend]`)` per {@link testBackends} entry, minus `exclude`; `skip` maps a backend to the
 * reason its suite is skipped (shown in the title). On webgpu without an adapter
 * the suite is skipped and its title says why.
 */
export function describeBackends(name: string, body: (backend: string) => void, options: { exclude?: string[]; skip?: Record<string, string> } = {}): void {
  for (const backend of testBackends()) {
    if (options.exclude?.includes(backend)) continue;
    const why = options.skip?.[backend];
    if (why) {
      describe.skip(`${name} [${backend} skipped: ${why}]`, () => body(backend));
      continue;
    }
    if (backend === 'webgpu' && webgpuReasonAtLoad) {
      describe.skip(`${name} [webgpu skipped: ${webgpuReasonAtLoad}]`, () => body(backend));
      continue;
    }
    describe(`${name} [${backend}]`, () => body(backend));
  }
}
