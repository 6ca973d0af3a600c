import * as tf from '@tensorflow/tfjs-core';
import { registerLelKernels } from './kernels/register';
import { describeAdapter, navigatorGpu, registerLelWebGPUFactory, webgpuAdapter, type WebGPUAdapterSummary } from './webgpu/setup';

/**
 * Backends LEL knows how to load, fastest first. `tensorflow` is tfjs-node's (and tfjs-node-gpu's) backend name;
 * `webgpu` is tfjs-backend-webgpu on the browser's WebGPU or, in Node, on Dawn (npm `webgpu`); `webgl` is
 * tfjs-backend-webgl, in web pages only.
 */
export type BackendName = 'tensorflow-gpu' | 'webgpu' | 'tensorflow' | 'webgl' | 'wasm' | 'cpu';

/** The order `initBackend` tries in Node. */
export const BACKEND_PREFERENCE: readonly BackendName[] = ['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu'];
/** The order `initBackend` tries in a web page (window or worker): WebGPU, then WebGL, then wasm, then cpu. */
export const PAGE_BACKEND_PREFERENCE: readonly BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

const PACKAGE_OF: Record<BackendName, string> = {
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
  webgpu: '@tensorflow/tfjs-backend-webgpu',
  tensorflow: '@tensorflow/tfjs-node',
  webgl: '@tensorflow/tfjs-backend-webgl',
  wasm: '@tensorflow/tfjs-backend-wasm',
  cpu: '@tensorflow/tfjs-backend-cpu',
};

const INSTALL_OF: Record<BackendName, string> = {
  ...PACKAGE_OF,
  webgpu: '@tensorflow/tfjs-backend-webgpu@4.22.0 (and, in Node, webgpu@0.6.2)',
};

/**
 * How a page imports a backend package: `() => import('@tensorflow/tfjs-backend-webgl')`. A literal `import()` in
 * the app lets its bundler find, split and lazy-load the package; an absent key means the backend is not offered.
 */
export type BackendLoaders = Partial<Record<BackendName, () => Promise<unknown>>>;

/** Options of {@link initBackend}. */
export interface InitBackendOptions {
  /** Force one backend (`auto` = fastest installed). Defaults to env `LEL_BACKEND` (Node), else `auto`. */
  backend?: BackendName | 'auto';
  /** Where to print the "backend: …" line; `null` silences it. Default `console.error` in Node, `console.info` in a page. */
  log?: ((line: string) => void) | null;
  /**
   * Web pages: how to import each backend package (see {@link BackendLoaders}); bundlers cannot resolve the bare
   * package names LEL imports in Node, so in a page only the backends given here are tried. In Node, a loader given
   * here replaces the plain `import()` of that package.
   */
  loaders?: BackendLoaders;
  /**
   * Where the wasm backend fetches its `.wasm` binaries (tfjs-backend-wasm's `setWasmPaths`: a folder URL, or a map
   * from file name to URL as a bundler's `?url` imports give). Applied before the wasm backend starts.
   */
  wasmPaths?: string | Record<string, string>;
  /** `page` or `node` (default: detected: Node when `process.versions.node` exists, a page otherwise). */
  environment?: 'node' | 'page';
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

/** Node (`process.versions.node`), else a page (window or worker). */
export function detectEnvironment(): 'node' | 'page' {
  return typeof process !== 'undefined' && typeof process.versions?.node === 'string' ? 'node' : 'page';
}

const BACKEND_OF_PACKAGE = new Map(Object.entries(PACKAGE_OF).map(([name, pkg]) => [pkg, name as BackendName]));

// In a page, only the app's loaders can import a backend (a bare `import('pkg')` resolves nowhere at run time).
function importerFor(options: Pick<InitBackendOptions, 'loaders' | 'environment'>): Importer {
  const page = (options.environment ?? detectEnvironment()) === 'page';
  return (pkg) => {
    const name = BACKEND_OF_PACKAGE.get(pkg);
    const loader = name ? options.loaders?.[name] : undefined;
    if (loader) return loader();
    if (page && importer === defaultImporter) return Promise.reject(new Error(`${pkg}: no loader given (initBackend({ loaders }))`));
    return importer(pkg);
  };
}

// Successes only: a page may offer a backend's loader on a later call.
const loaded = new Set<BackendName>();

async function tryLoad(name: BackendName, load: Importer = importer): Promise<boolean> {
  if (loaded.has(name)) return true;
  let ok = false;
  try {
    if (name === 'webgpu') ok = await loadWebGPU(load);
    else {
      await load(PACKAGE_OF[name]);
      ok = tfNameOf(name) in tf.engine().registryFactory;
    }
    // LEL's kernel fixes wrap some of a backend's kernels, so they are (re)applied once it is imported.
    if (ok) registerLelKernels();
  } catch {
    ok = false;
  }
  if (ok) loaded.add(name);
  return ok;
}

// navigator.gpu (Dawn in Node) must exist before tfjs-backend-webgpu is imported, and an adapter must exist
// for the backend to count as installed. LEL's factory then replaces tfjs's (limits, device-error watch).
async function loadWebGPU(load: Importer): Promise<boolean> {
  if (!(await navigatorGpu(load))) return false;
  registerLelWebGPUFactory(await load(PACKAGE_OF.webgpu), load);
  return (await webgpuAdapter(load)) !== undefined;
}

async function setWasmPaths(load: Importer, paths: string | Record<string, string>): Promise<void> {
  const wasm = (await load(PACKAGE_OF.wasm)) as { setWasmPaths?: (p: string | Record<string, string>) => void };
  if (typeof wasm.setWasmPaths !== 'function') throw new Error('initBackend: @tensorflow/tfjs-backend-wasm did not export setWasmPaths');
  wasm.setWasmPaths(paths);
}

function tfNameOf(name: BackendName): string {
  return name === 'tensorflow-gpu' ? 'tensorflow' : name;
}

function isBackendName(s: string): s is BackendName {
  return (BACKEND_PREFERENCE as readonly string[]).includes(s) || (PAGE_BACKEND_PREFERENCE as readonly string[]).includes(s);
}

/**
 * Select and initialise the fastest installed TensorFlow.js backend. In Node: tfjs-node-gpu, then webgpu on a
 * hardware adapter, then tfjs-node, then wasm, then cpu. In a web page (window or worker): webgpu on a hardware
 * adapter, then webgl, then wasm, then cpu, each imported lazily through `options.loaders` (the app's own
 * `import()`s, so its bundler splits them out). `LEL_BACKEND` (Node) or `options.backend` forces one — a software
 * WebGPU adapter (lavapipe, SwiftShader) is used only when forced; forcing a backend that is not installed is an
 * error naming the package to install. Logs one line saying which backend runs (and, on webgpu, which adapter).
 *
 * @example In a page or a Web Worker:
 * ```ts
 * await initBackend({
 *   loaders: { webgpu: () => import('@tensorflow/tfjs-backend-webgpu'), webgl: () => import('@tensorflow/tfjs-backend-webgl'), wasm: () => import('@tensorflow/tfjs-backend-wasm') },
 *   wasmPaths: 'https://example.org/wasm/', // or the binaries' bundled URLs
 * });
 * ```
 */
export async function initBackend(options: InitBackendOptions = {}): Promise<BackendInfo> {
  const environment = options.environment ?? detectEnvironment();
  const fromEnv = typeof process !== 'undefined' ? (process.env?.LEL_BACKEND as BackendName | 'auto' | undefined) : undefined;
  const requested = options.backend ?? fromEnv ?? 'auto';
  const log = options.log === undefined ? (l: string) => (environment === 'page' ? console.info(l) : console.error(l)) : options.log;
  const preference = environment === 'page' ? PAGE_BACKEND_PREFERENCE : BACKEND_PREFERENCE;
  if (requested !== 'auto' && !isBackendName(requested)) {
    throw new Error(`initBackend: unknown backend "${requested}"; expected one of auto, ${preference.join(', ')}`);
  }
  if (requested !== 'auto' && !preference.includes(requested)) {
    throw new Error(`initBackend: backend "${requested}" does not run in ${environment === 'page' ? 'a web page' : 'Node'}; expected one of auto, ${preference.join(', ')}`);
  }
  const load = importerFor({ ...options, environment });
  const candidates = requested === 'auto' ? preference : [requested];
  const available: BackendName[] = [];
  const notes: string[] = [];
  let chosen: BackendName | undefined;
  for (const name of candidates) {
    if (await tryLoad(name, load)) {
      available.push(name);
      if (chosen === undefined && name === 'webgpu' && requested === 'auto') {
        const adapter = (await webgpuAdapter(load))!.summary;
        if (adapter.software) {
          notes.push(`webgpu skipped: its only adapter is ${describeAdapter(adapter)} (${environment === 'page' ? "backend: 'webgpu'" : 'LEL_BACKEND=webgpu'} forces it)`);
          continue;
        }
      }
      if (chosen === undefined) {
        if (name === 'wasm' && options.wasmPaths !== undefined) await setWasmPaths(load, options.wasmPaths);
        let ok = false;
        try {
          ok = await tf.setBackend(tfNameOf(name));
        } catch (e) {
          notes.push(`${name} failed to initialise (${e instanceof Error ? e.message : String(e)})`);
        }
        if (ok) chosen = name;
        else if (!notes.some((n) => n.startsWith(`${name} failed`))) notes.push(`${name} is installed but failed to initialise`);
      }
    }
  }
  if (chosen === undefined) {
    if (requested !== 'auto') {
      throw new Error(
        requested === 'webgpu'
          ? `initBackend: backend "webgpu" is not available: it needs ${INSTALL_OF.webgpu} and a WebGPU adapter (in Node: Dawn on Vulkan, Metal or D3D12; on Linux without a GPU, Mesa's lavapipe — mesa-vulkan-drivers ≥ 23; in a page: a browser with WebGPU and a loader in initBackend({ loaders }))${notes.length ? ` — ${notes.join('; ')}` : ''}`
          : `initBackend: backend "${requested}" is not available; install ${PACKAGE_OF[requested]} (pnpm add ${PACKAGE_OF[requested]}@4.22.0)${environment === 'page' ? ` and pass its loader: initBackend({ loaders: { ${requested}: () => import('${PACKAGE_OF[requested]}') } })` : ''}${notes.length ? ` — ${notes.join('; ')}` : ''}`,
      );
    }
    throw new Error(
      environment === 'page'
        ? `initBackend: no TensorFlow.js backend could start in this page (tried ${candidates.join(', ')}; loaders given: ${Object.keys(options.loaders ?? {}).join(', ') || 'none'})${notes.length ? ` — ${notes.join('; ')}` : ''}`
        : 'initBackend: no TensorFlow.js backend is installed; install @tensorflow/tfjs-backend-wasm or @tensorflow/tfjs-backend-cpu',
    );
  }
  await tf.ready();
  if (chosen === 'tensorflow-gpu') {
    // tfjs-node-gpu silently runs on the CPU when CUDA 11.2/cuDNN 8.1 libraries are missing.
    const gpuNote = detectGpuFallback();
    if (gpuNote) notes.push(gpuNote);
  }
  const adapter = chosen === 'webgpu' ? (await webgpuAdapter(load))?.summary : undefined;
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
