import * as tf from '@tensorflow/tfjs-core';
import { registerLelKernels } from './kernels/register';
import { describeAdapter, navigatorGpu, registerLelWebGPUFactory, webgpuAdapter, type WebGPUAdapterSummary } from './webgpu/setup';

/**
 * Backends LEL knows how to load, fastest first. `tensorflow` is tfjs-node's (and tfjs-node-gpu's) backend name;
 * `webgpu` is tfjs-backend-webgpu on the browser's WebGPU or, in Node, on Dawn (npm `webgpu`).
 */
export type BackendName = 'tensorflow-gpu' | 'webgpu' | 'tensorflow' | 'wasm' | 'cpu';

export const BACKEND_PREFERENCE: readonly BackendName[] = ['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu'];

const PACKAGE_OF: Record<BackendName, string> = {
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
  webgpu: '@tensorflow/tfjs-backend-webgpu',
  tensorflow: '@tensorflow/tfjs-node',
  wasm: '@tensorflow/tfjs-backend-wasm',
  cpu: '@tensorflow/tfjs-backend-cpu',
};

const INSTALL_OF: Record<BackendName, string> = {
  ...PACKAGE_OF,
  webgpu: '@tensorflow/tfjs-backend-webgpu@4.22.0 (and, in Node, webgpu@0.6.2)',
};

/** Options of {@link initBackend}. */
export interface InitBackendOptions {
  /** Force one backend (`auto` = fastest installed). Defaults to env `LEL_BACKEND`, else `auto`. */
  backend?: BackendName | 'auto';
  /** Where to print the "backend: …" line; `null` silences it. Default `console.error`. */
  log?: ((line: string) => void) | null;
}

/** What {@link initBackend} chose. */
export interface BackendInfo {
  name: BackendName;
  /** tfjs's registered backend name (`tensorflow`, `wasm`, `cpu`). */
  tfName: string;
  packageName: string;
  /** Backends that imported successfully, in preference order. */
  available: BackendName[];
  /** Human-readable notes (e.g. tfjs-node-gpu running without CUDA). */
  notes: string[];
  /** The GPU adapter, when the backend is `webgpu`. */
  adapter?: WebGPUAdapterSummary;
}

type Importer = (pkg: string) => Promise<unknown>;
// A guarded dynamic import: optional peers may be absent, and bundlers must not try to resolve them.
const defaultImporter: Importer = (pkg) => import(/* @vite-ignore */ pkg);

let importer: Importer = defaultImporter;
/** @internal test hook: replace how backend packages are imported. */
export function setBackendImporter(fn: Importer | null): void {
  importer = fn ?? defaultImporter;
}

const loaded = new Map<BackendName, boolean>();

async function tryLoad(name: BackendName): Promise<boolean> {
  const cached = loaded.get(name);
  if (cached !== undefined) return cached;
  let ok = false;
  try {
    if (name === 'webgpu') ok = await loadWebGPU();
    else {
      await importer(PACKAGE_OF[name]);
      ok = tfNameOf(name) in tf.engine().registryFactory;
    }
    // LEL's kernel fixes wrap some of a backend's kernels, so they are (re)applied once it is imported.
    if (ok) registerLelKernels();
  } catch {
    ok = false;
  }
  loaded.set(name, ok);
  return ok;
}

// navigator.gpu (Dawn in Node) must exist before tfjs-backend-webgpu is imported, and an adapter must exist
// for the backend to count as installed. LEL's factory then replaces tfjs's (limits, device-error watch).
async function loadWebGPU(): Promise<boolean> {
  if (!(await navigatorGpu(importer))) return false;
  registerLelWebGPUFactory(await importer(PACKAGE_OF.webgpu), importer);
  return (await webgpuAdapter(importer)) !== undefined;
}

function tfNameOf(name: BackendName): string {
  return name === 'tensorflow-gpu' ? 'tensorflow' : name;
}

function isBackendName(s: string): s is BackendName {
  return (BACKEND_PREFERENCE as readonly string[]).includes(s);
}

/**
 * Select and initialise the fastest installed TensorFlow.js backend:
 * tfjs-node-gpu, then webgpu on a hardware adapter, then tfjs-node, then wasm, then cpu. `LEL_BACKEND` (or
 * `options.backend`) forces one — a software WebGPU adapter (lavapipe, SwiftShader) is used only when forced;
 * forcing a backend that is not installed is an error naming the package to install.
 * Logs one line saying which backend runs (and, on webgpu, which adapter).
 */
export async function initBackend(options: InitBackendOptions = {}): Promise<BackendInfo> {
  const fromEnv = typeof process !== 'undefined' ? (process.env?.LEL_BACKEND as BackendName | 'auto' | undefined) : undefined;
  const requested = options.backend ?? fromEnv ?? 'auto';
  const log = options.log === undefined ? (l: string) => console.error(l) : options.log;
  if (requested !== 'auto' && !isBackendName(requested)) {
    throw new Error(`initBackend: unknown backend "${requested}"; expected one of auto, ${BACKEND_PREFERENCE.join(', ')}`);
  }
  const candidates = requested === 'auto' ? BACKEND_PREFERENCE : [requested];
  const available: BackendName[] = [];
  const notes: string[] = [];
  let chosen: BackendName | undefined;
  for (const name of candidates) {
    if (await tryLoad(name)) {
      available.push(name);
      if (chosen === undefined && name === 'webgpu' && requested === 'auto') {
        const adapter = (await webgpuAdapter(importer))!.summary;
        if (adapter.software) {
          notes.push(`webgpu skipped: its only adapter is ${describeAdapter(adapter)} (LEL_BACKEND=webgpu forces it)`);
          continue;
        }
      }
      if (chosen === undefined) {
        const ok = await tf.setBackend(tfNameOf(name));
        if (ok) chosen = name;
        else notes.push(`${name} is installed but failed to initialise`);
      }
    }
  }
  if (chosen === undefined) {
    if (requested !== 'auto') {
      throw new Error(
        requested === 'webgpu'
          ? `initBackend: backend "webgpu" is not available: it needs ${INSTALL_OF.webgpu} and a WebGPU adapter (in Node: Dawn on Vulkan, Metal or D3D12; on Linux without a GPU, Mesa's lavapipe — mesa-vulkan-drivers ≥ 23)`
          : `initBackend: backend "${requested}" is not available; install ${PACKAGE_OF[requested]} (pnpm add ${PACKAGE_OF[requested]}@4.22.0)`,
      );
    }
    throw new Error(
      'initBackend: no TensorFlow.js backend is installed; install @tensorflow/tfjs-backend-wasm or @tensorflow/tfjs-backend-cpu',
    );
  }
  await tf.ready();
  if (chosen === 'tensorflow-gpu') {
    // tfjs-node-gpu silently runs on the CPU when CUDA 11.2/cuDNN 8.1 libraries are missing.
    const gpuNote = detectGpuFallback();
    if (gpuNote) notes.push(gpuNote);
  }
  const adapter = chosen === 'webgpu' ? (await webgpuAdapter(importer))?.summary : undefined;
  const info: BackendInfo = { name: chosen, tfName: tfNameOf(chosen), packageName: PACKAGE_OF[chosen], available, notes, ...(adapter ? { adapter } : {}) };
  const on = adapter ? ` on ${describeAdapter(adapter)}` : '';
  log?.(`[lel] backend: ${chosen} (${PACKAGE_OF[chosen]}, tfjs-core ${tf.version_core})${on}${notes.length ? ' — ' + notes.join('; ') : ''}`);
  return info;
}

function detectGpuFallback(): string | undefined {
  const ld = process.env.LD_LIBRARY_PATH ?? '';
  if (!/cuda/i.test(ld)) {
    return 'tfjs-node-gpu loaded but LD_LIBRARY_PATH names no CUDA directory: it may be running on the CPU (it needs CUDA 11.2 + cuDNN 8.1)';
  }
  return undefined;
}

/** Names of the backends that can be imported here, in preference order (loads each once). */
export async function installedBackends(): Promise<BackendName[]> {
  const out: BackendName[] = [];
  for (const name of BACKEND_PREFERENCE) if (await tryLoad(name)) out.push(name);
  return out;
}

/** Switch to an already-installed backend (used by backend-matrix tests). */
export async function useBackend(name: BackendName): Promise<void> {
  if (!(await tryLoad(name))) {
    throw new Error(name === 'webgpu' ? 'useBackend: webgpu is not available (no WebGPU adapter, or @tensorflow/tfjs-backend-webgpu / webgpu not installed)' : `useBackend: ${PACKAGE_OF[name]} is not installed`);
  }
  if (!(await tf.setBackend(tfNameOf(name)))) throw new Error(`useBackend: ${name} is installed but failed to initialise`);
  await tf.ready();
}
