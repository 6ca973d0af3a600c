// The slice of the WebGPU API (and of tfjs-backend-webgpu's WebGPUBackend) that LEL uses, typed structurally:
// `@webgpu/types` and the backend package are optional, and public types of @lel/core must not need them.
import type * as tf from '@tensorflow/tfjs-core';

export interface GpuBuffer {
  readonly size: number;
  readonly usage: number;
}

export interface GpuBindingResource {
  buffer: GpuBuffer;
  offset?: number;
  size?: number;
}

export interface GpuBindGroupLayout {
  readonly label?: string;
}

export interface GpuComputePipeline {
  getBindGroupLayout(index: number): GpuBindGroupLayout;
}

export interface GpuBindGroup {
  readonly label?: string;
}

export interface GpuComputePassEncoder {
  setPipeline(p: GpuComputePipeline): void;
  setBindGroup(index: number, group: GpuBindGroup): void;
  dispatchWorkgroups(x: number, y?: number, z?: number): void;
  end(): void;
}

export interface GpuCommandEncoder {
  beginComputePass(descriptor?: object): GpuComputePassEncoder;
}

export interface GpuError {
  readonly message: string;
  readonly constructor: { name: string };
}

export interface GpuSupportedLimits {
  readonly maxStorageBufferBindingSize: number;
  readonly maxBufferSize: number;
  readonly maxStorageBuffersPerShaderStage: number;
  readonly maxComputeWorkgroupStorageSize: number;
  readonly maxComputeWorkgroupsPerDimension: number;
  readonly maxComputeWorkgroupSizeX: number;
  readonly maxComputeInvocationsPerWorkgroup: number;
}

export interface GpuDeviceLostInfo {
  readonly reason: string;
  readonly message: string;
}

export interface GpuDevice {
  readonly limits: GpuSupportedLimits;
  readonly lost: Promise<GpuDeviceLostInfo>;
  createShaderModule(d: { code: string; label?: string }): unknown;
  createComputePipeline(d: { layout: 'auto'; compute: { module: unknown; entryPoint: string }; label?: string }): GpuComputePipeline;
  createBindGroup(d: { layout: GpuBindGroupLayout; entries: { binding: number; resource: GpuBindingResource }[] }): GpuBindGroup;
  pushErrorScope(filter: 'validation' | 'out-of-memory' | 'internal'): void;
  popErrorScope(): Promise<GpuError | null>;
  addEventListener(type: 'uncapturederror', listener: (e: { error: GpuError }) => void): void;
  destroy(): void;
}

export interface GpuAdapterInfo {
  readonly vendor: string;
  readonly architecture: string;
  readonly device: string;
  readonly description: string;
  readonly isFallbackAdapter?: boolean;
}

export interface GpuAdapter {
  readonly info: GpuAdapterInfo;
  readonly limits: GpuSupportedLimits;
  readonly features: ReadonlySet<string>;
  readonly isFallbackAdapter?: boolean;
  requestDevice(d: { requiredFeatures?: string[]; requiredLimits?: Record<string, number> }): Promise<GpuDevice>;
}

export interface Gpu {
  requestAdapter(o?: { powerPreference?: 'low-power' | 'high-performance'; forceFallbackAdapter?: boolean }): Promise<GpuAdapter | null>;
}

/** One uniform field as tfjs-backend-webgpu's `makeUniforms` takes it. */
export interface ProgramUniform {
  type: 'int32' | 'uint32' | 'float32';
  data: number[];
}

/** tfjs-backend-webgpu 4.22's WebGPUBackend, as far as LEL uses it (including private members, pinned version). */
export interface WebGPUBackendLike {
  device: GpuDevice;
  queue: unknown;
  adapterInfo?: unknown;
  tensorMap: { get(dataId: tf.DataId): { dtype: tf.DataType; shape: number[]; resource?: unknown; values?: unknown; refCount: number } | undefined; has(dataId: tf.DataId): boolean };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: unknown): tf.TensorInfo;
  uploadToGPU(dataId: tf.DataId): void;
  disposeData(dataId: tf.DataId, force?: boolean): boolean;
  runWebGPUProgram(program: { constructor: { name: string }; outputShape: number[] }, inputs: tf.TensorInfo[], dtype: tf.DataType, uniforms?: unknown, output?: tf.TensorInfo): tf.TensorInfo;
  read(dataId: tf.DataId): Promise<unknown>;
  readSync(dataId: tf.DataId): unknown;
  write(values: unknown, shape: number[], dtype: tf.DataType): tf.DataId;
  /** Whether tfjs warned about a synchronous read already (it warns once per backend). */
  hasReadSyncWarned?: boolean;
  // Private in the .d.ts; LEL's program runner mirrors recordAndSubmit with them.
  tensorToBinding(t: tf.TensorInfo): GpuBindingResource;
  makeUniforms(u: ProgramUniform[]): GpuBindingResource;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
  getQueryTime(): Promise<number>;
  commandEncoder: GpuCommandEncoder | null;
  computePassEncoder: GpuComputePassEncoder | null;
  commandQueueOwnedIds: WeakSet<tf.DataId>;
  dispatchCountInPass: number;
  activeTimers: { name: string; query: Promise<number> }[] | null | undefined;
  supportTimestampQuery: boolean;
  querySet: unknown;
  querySetCount: number;
}

/** Whether `b` is tfjs-backend-webgpu's backend (duck-typed: the package is an optional peer). */
export function isWebGPU(b: unknown): b is WebGPUBackendLike {
  return typeof (b as WebGPUBackendLike | undefined)?.runWebGPUProgram === 'function' && (b as WebGPUBackendLike).device !== undefined;
}
