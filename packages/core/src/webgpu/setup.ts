import * as tf from '@tensorflow/tfjs-core';
import { watchDeviceErrors } from './device-errors';
import { guardSyncReads } from './sync-reads';
import type { Gpu, GpuAdapter, GpuDevice, WebGPUBackendLike } from './gpu-types';

/** The GPU adapter the webgpu backend runs on, as the start-up banner names it. */
export interface WebGPUAdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A CPU implementation (Mesa lavapipe/llvmpipe, SwiftShader, Dawn's null backend): used only when forced. */
  software: boolean;
  /** Largest tensor one kernel can bind, bytes. */
  maxStorageBufferBindingSize: number;
}

type Importer = (pkg: string) => Promise<unknown>;

interface DawnModule {
  create(flags: string[]): Gpu;
  globals: Record<string, unknown>;
}

let gpuPromise: Promise<Gpu | undefined> | undefined;
let adapterPromise: Promise<{ adapter: GpuAdapter; summary: WebGPUAdapterSummary } | undefined> | undefined;

function isNode(): boolean {
  return typeof process !== 'undefined' && typeof process.versions?.node === 'string';
}

function env(name: string): string | undefined {
  return isNode() ? process.env[name] : undefined;
}

/**
 * `navigator.gpu`, native in browsers; in Node, Dawn's binding from the optional peer `webgpu` (npm): its
 * globals (`GPUBufferUsage`, …) and `navigator.gpu` are installed before tfjs-backend-webgpu is imported,
 * because that package registers its backend only when `navigator.gpu` exists. `LEL_DAWN_NODE` may name a
 * `dawn.node` file to load instead of the package's; `LEL_DAWN_FLAGS` (space-separated) is passed to Dawn.
 * Resolves to undefined when neither is available.
 */
export function navigatorGpu(importer: Importer): Promise<Gpu | undefined> {
  gpuPromise ??= (async () => {
    const nav = (globalThis as { navigator?: { gpu?: Gpu } }).navigator;
    if (nav?.gpu) return nav.gpu;
    if (!isNode()) return undefined;
    let dawn: DawnModule;
    const file = env('LEL_DAWN_NODE');
    if (file) {
      const { createRequire } = (await importer('node:module')) as typeof import('node:module');
      dawn = createRequire(import.meta.url)(file) as DawnModule;
    } else {
      dawn = (await importer('webgpu')) as DawnModule;
    }
    for (const [k, v] of Object.entries(dawn.globals)) if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
    const gpu = dawn.create((env('LEL_DAWN_FLAGS') ?? '').split(' ').filter(Boolean));
    if (nav) Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true, writable: true });
    else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
    return gpu;
  })().catch(() => undefined);
  return gpuPromise;
}

const SOFTWARE = /llvmpipe|lavapipe|swiftshader|software|null backend|basic render/i;

/** The adapter LEL's webgpu backend uses (high-performance preference), once per process. */
export function webgpuAdapter(importer: Importer): Promise<{ adapter: GpuAdapter; summary: WebGPUAdapterSummary } | undefined> {
  adapterPromise ??= (async () => {
    const gpu = await navigatorGpu(importer);
    const adapter = await gpu?.requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter) return undefined;
    const i = adapter.info;
    const text = `${i.vendor} ${i.architecture} ${i.device} ${i.description}`;
    const summary: WebGPUAdapterSummary = {
      vendor: i.vendor,
      architecture: i.architecture,
      device: i.device,
      description: i.description,
      software: Boolean(i.isFallbackAdapter ?? adapter.isFallbackAdapter) || i.architecture === 'software' || SOFTWARE.test(text),
      maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
    };
    return { adapter, summary };
  })().catch(() => undefined);
  return adapterPromise;
}

/** The adapter summary if the webgpu backend has been probed (for banners and benchmarks). */
export async function webgpuAdapterSummary(importer: Importer): Promise<WebGPUAdapterSummary | undefined> {
  return (await webgpuAdapter(importer))?.summary;
}

/** One line naming the adapter, e.g. `NVIDIA H200 (nvidia; hopper)` or `llvmpipe: Mesa … (mesa; software adapter: runs on the CPU)`. */
export function describeAdapter(s: WebGPUAdapterSummary): string {
  const name = s.description || s.device || s.vendor || 'unknown adapter';
  const extra = [s.vendor, s.architecture].filter((x) => x && x !== 'software' && !name.toLowerCase().includes(x.toLowerCase()));
  if (s.software) extra.push('software adapter: runs on the CPU');
  return `${name}${extra.length ? ` (${extra.join('; ')})` : ''}`;
}

interface WebGPUModule {
  WebGPUBackend: new (device: GpuDevice, adapterInfo?: unknown) => WebGPUBackendLike;
}

/**
 * Register LEL's factory for tfjs's `webgpu` backend in place of the one tfjs-backend-webgpu registers: same
 * backend class and kernels, but the device asks for the adapter's storage-buffer limits (LEL's multi-tensor
 * kernels bind more buffers than WebGPU's default 8), and it is watched for device errors (see
 * `watchDeviceErrors`; `LEL_WEBGPU_ERROR_SCOPES=0` keeps only the synchronous binding-size checks).
 */
export function registerLelWebGPUFactory(mod: unknown, importer: Importer): void {
  const { WebGPUBackend } = mod as WebGPUModule;
  if (typeof WebGPUBackend !== 'function') throw new Error('@tensorflow/tfjs-backend-webgpu did not export WebGPUBackend');
  if ('webgpu' in tf.engine().registryFactory) tf.removeBackend('webgpu');
  tf.registerBackend(
    'webgpu',
    async () => {
      const found = await webgpuAdapter(importer);
      if (!found) throw new Error('WebGPU: no adapter');
      const { adapter } = found;
      const l = adapter.limits;
      const requiredFeatures = ['timestamp-query', 'bgra8unorm-storage'].filter((f) => adapter.features.has(f));
      const device = await adapter.requestDevice({
        requiredFeatures,
        requiredLimits: {
          maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
          maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
          maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
          maxBufferSize: l.maxBufferSize,
          maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
          maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
          maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage,
        },
      });
      const backend = new WebGPUBackend(device, adapter.info);
      await guardSyncReads(backend);
      watchDeviceErrors(backend, { scopes: env('LEL_WEBGPU_ERROR_SCOPES') !== '0' });
      return backend as unknown as tf.KernelBackend;
    },
    3,
  );
}
