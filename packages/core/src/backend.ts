import * as tf from '@tensorflow/tfjs-core';
import { registerLelKernels } from './kernels/register';

/** Backends LEL knows how to load, fastest first. `tensorflow` is tfjs-node's (and tfjs-node-gpu's) backend name. */
export type BackendName = 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';

export const BACKEND_PREFERENCE: readonly BackendName[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];

const PACKAGE_OF: Record<BackendName, string> = {
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
  tensorflow: '@tensorflow/tfjs-node',
  wasm: '@tensorflow/tfjs-backend-wasm',
  cpu: '@tensorflow/tfjs-backend-cpu',
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
    await importer(PACKAGE_OF[name]);
    ok = tfNameOf(name) in tf.engine().registryFactory;
    // LEL's kernel fixes wrap some of a backend's kernels, so they are (re)applied once it is imported.
    if (ok) registerLelKernels();
  } catch {
    ok = false;
  }
  loaded.set(name, ok);
  return ok;
}

function tfNameOf(name: BackendName): string {
  return name === 'tensorflow-gpu' ? 'tensorflow' : name;
}

function isBackendName(s: string): s is BackendName {
  return (BACKEND_PREFERENCE as readonly string[]).includes(s);
}

/**
 * Select and initialise the fastest installed TensorFlow.js backend:
 * tfjs-node-gpu, then tfjs-node, then wasm, then cpu. `LEL_BACKEND` (or `options.backend`) forces one;
 * forcing a backend that is not installed is an error naming the package to install.
 * Logs one line saying which backend runs.
 */
export async function initBackend(options: InitBackendOptions = {}): Promise<BackendInfo> {
  const requested = options.backend ?? (process.env.LEL_BACKEND as BackendName | 'auto' | undefined) ?? 'auto';
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
        `initBackend: backend "${requested}" is not available; install ${PACKAGE_OF[requested]} (pnpm add ${PACKAGE_OF[requested]}@4.22.0)`,
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
  const info: BackendInfo = { name: chosen, tfName: tfNameOf(chosen), packageName: PACKAGE_OF[chosen], available, notes };
  log?.(`[lel] backend: ${chosen} (${PACKAGE_OF[chosen]}, tfjs-core ${tf.version_core})${notes.length ? ' — ' + notes.join('; ') : ''}`);
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
  if (!(await tryLoad(name))) throw new Error(`useBackend: ${PACKAGE_OF[name]} is not installed`);
  await tf.setBackend(tfNameOf(name));
  await tf.ready();
}
