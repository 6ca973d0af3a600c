import * as tf from '@tensorflow/tfjs-core';
import { checkBindingSizes, withDeviceErrorScopes } from '../../webgpu/device-errors';
import type { GpuComputePipeline, GpuDevice, ProgramUniform, WebGPUBackendLike } from '../../webgpu/gpu-types';

/**
 * One of LEL's WGSL compute programs. Unlike tfjs-backend-webgpu's programs (one output, a generated
 * prelude), the program writes its whole shader: bindings are `@group(0) @binding(i)` in the order
 * outputs (`read_write`), inputs (`read`), then, when the program has uniforms, one `var<uniform>` struct
 * whose fields are the uniforms' values in order (each a 4-byte scalar: the struct packs them tightly).
 */
export interface LelProgram {
  /** Shown in profiles (tf.profile's kernel list) and in device-error messages. */
  name: string;
  /** Pipeline cache key: everything the WGSL text depends on. */
  key: string;
  /** The WGSL source (called once per key and device). */
  wgsl: () => string;
  /** Number of workgroups; a count over the per-dimension limit is folded into y (see {@link WORKGROUP_INDEX}). */
  workgroups: [number, number?, number?];
}

/** WGSL: the flat workgroup index of a dispatch whose x dimension was folded into y by {@link runLelProgram}. */
export const WORKGROUP_INDEX = 'wid.x + wid.y * nwg.x';

/** WGSL parameters of `@compute` entry points that use {@link WORKGROUP_INDEX}. */
export const ENTRY_BUILTINS =
  '@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32, @builtin(local_invocation_id) lid3: vec3<u32>';

/**
 * WGSL: the binding declarations of a {@link LelProgram} in its binding order — `outputs` (`read_write`), `inputs`
 * (`read`), then the uniform struct `U` as `u` when `uniform` — all `array<f32>` unless named `name: type`.
 */
export function bindingsWgsl(outputs: readonly string[], inputs: readonly string[], uniform = true): string {
  const decl = (n: string, access: string, k: number) => {
    const [name, type = 'array<f32>'] = n.split(':').map((x) => x.trim());
    return `@group(0) @binding(${k}) var<storage, ${access}> ${name}: ${type};`;
  };
  const lines = [...outputs.map((n, k) => decl(n, 'read_write', k)), ...inputs.map((n, k) => decl(n, 'read', outputs.length + k))];
  if (uniform) lines.push(`@group(0) @binding(${outputs.length + inputs.length}) var<uniform> u: U;`);
  return lines.join('\n');
}

/**
 * WGSL: `wgReduce(v, t, isMax)`, a workgroup-wide sum (or max) over `size` threads (a power of two) through a
 * shared array; call it from uniform control flow with `t` the local invocation index.
 */
export function workgroupReduceWgsl(size: number): string {
  return `
var<workgroup> red: array<f32, ${size}>;
fn wgReduce(v: f32, t: u32, isMax: bool) -> f32 {
  red[t] = v;
  workgroupBarrier();
  for (var s = ${size / 2}u; s > 0u; s = s >> 1u) {
    if (t < s) { red[t] = select(red[t] + red[t + s], max(red[t], red[t + s]), isMax); }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}`;
}

const pipelines = new WeakMap<GpuDevice, Map<string, GpuComputePipeline>>();

function pipelineFor(device: GpuDevice, program: LelProgram): GpuComputePipeline {
  let cache = pipelines.get(device);
  if (!cache) pipelines.set(device, (cache = new Map()));
  let p = cache.get(program.key);
  if (!p) {
    const module = device.createShaderModule({ code: program.wgsl(), label: program.name });
    p = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' }, label: program.name });
    cache.set(program.key, p);
  }
  return p;
}

/** Fold a workgroup count into (x, y) so no dimension exceeds the device's limit. */
function foldDispatch(device: GpuDevice, n: number, y0: number, z0: number): [number, number, number] {
  const max = device.limits.maxComputeWorkgroupsPerDimension;
  if (n <= max) return [n, y0, z0];
  if (y0 !== 1) throw new Error(`LEL WebGPU program: ${n} × ${y0} workgroups exceed the per-dimension limit ${max}`);
  const y = Math.ceil(n / max);
  return [Math.ceil(n / y), y, z0];
}

/**
 * Record one of LEL's programs into the backend's command stream exactly as tfjs-backend-webgpu records its
 * own (same compute pass, queue batching, buffer lifetimes and `tf.profile` timestamp queries), with any
 * number of outputs. Outputs must have been made with `backend.makeTensorInfo`; they are returned.
 * Programs whose WGSL folds a large x dispatch into y must compute their workgroup index with
 * {@link WORKGROUP_INDEX} and skip indices past the end.
 */
export function runLelProgram(backend: WebGPUBackendLike, program: LelProgram, outputs: tf.TensorInfo[], inputs: tf.TensorInfo[], uniforms: ProgramUniform[] = []): tf.TensorInfo[] {
  if (outputs.some((o) => o.shape.reduce((a, b) => a * b, 1) === 0)) throw new Error(`${program.name}: empty outputs are handled by the caller`);
  checkBindingSizes(backend, program.name, inputs, outputs);
  return withDeviceErrorScopes(backend, program.name, inputs, () => outputs, () => {
    for (const t of [...outputs, ...inputs]) backend.uploadToGPU(t.dataId);
    const pipeline = pipelineFor(backend.device, program);
    const resources = [...outputs, ...inputs].map((t) => backend.tensorToBinding(t));
    if (uniforms.length > 0) resources.push(backend.makeUniforms(uniforms));
    for (const t of [...inputs, ...outputs]) backend.commandQueueOwnedIds.add(t.dataId);
    const bindGroup = backend.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: resources.map((resource, binding) => ({ binding, resource })) });
    const [n, y0 = 1, z0 = 1] = program.workgroups;
    const dispatch = foldDispatch(backend.device, n, y0, z0);
    // Mirrors WebGPUBackend.recordAndSubmit (tfjs-backend-webgpu 4.22).
    const timed = backend.activeTimers != null;
    backend.ensureCommandEncoderReady();
    if (timed && backend.supportTimestampQuery) {
      backend.endComputePassEncoder();
      const self = backend as unknown as { querySet: unknown; device: { createQuerySet(d: object): unknown } };
      if (self.querySet == null) self.querySet = self.device.createQuerySet({ type: 'timestamp', count: backend.querySetCount });
      backend.computePassEncoder = backend.commandEncoder!.beginComputePass({
        timestampWrites: { querySet: self.querySet, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 },
      });
    } else if (!backend.computePassEncoder) {
      backend.computePassEncoder = backend.commandEncoder!.beginComputePass({});
    }
    const pass = backend.computePassEncoder!;
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(dispatch[0], dispatch[1], dispatch[2]);
    backend.dispatchCountInPass++;
    if (timed || deferredBatch() <= backend.dispatchCountInPass) {
      backend.endComputePassEncoder();
      if (timed) backend.activeTimers!.push({ name: program.name, query: backend.getQueryTime() });
      else backend.submitQueue();
    }
    return outputs;
  });
}

// tfjs's flag (registered by tfjs-backend-webgpu, so present whenever a webgpu backend runs).
function deferredBatch(): number {
  return tf.env().getNumber('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE');
}

/** A fresh output tensor on the webgpu backend. */
export function makeOutput(backend: WebGPUBackendLike, shape: number[], dtype: tf.DataType = 'float32'): tf.TensorInfo {
  return backend.makeTensorInfo(shape, dtype);
}

/** Uniforms from named scalars: `i32` fields as int32, `f32` as float32, `u32` as uint32. */
export function uniforms(fields: [type: 'i32' | 'u32' | 'f32', value: number][]): ProgramUniform[] {
  return fields.map(([t, v]) => ({ type: t === 'i32' ? 'int32' : t === 'u32' ? 'uint32' : 'float32', data: [v] }));
}
