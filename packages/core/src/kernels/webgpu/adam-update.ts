import * as tf from '@tensorflow/tfjs-core';
import { isWebGPU, type WebGPUBackendLike } from '../../webgpu/gpu-types';
import { lelWebGPUKernelsEnabled } from './overrides';
import { ENTRY_BUILTINS, WORKGROUP_INDEX, makeOutput, runLelProgram, uniforms, type LelProgram } from './program';

/** LEL's fused Adam/AdamW update of a whole parameter group (webgpu). */
export const ADAM_UPDATE_GROUP = 'LelAdamUpdateGroup';

/** Per-parameter scalars of {@link ADAM_UPDATE_GROUP} (arrays, one entry per parameter). */
export interface AdamGroupAttrs {
  beta1: number;
  beta2: number;
  eps: number;
  /** √(1 − β2ᵗ) per parameter (t is the parameter's own step). */
  bc2: number[];
  /** lr / (1 − β1ᵗ) per parameter. */
  stepSize: number[];
  /** Coupled L2 weight decay (Adam): g ← g + l2·p, per parameter. */
  l2: number[];
  /** Decoupled weight decay factor (AdamW): p ← p·decay, 1 − lr·wd, per parameter (1 = none). */
  decay: number[];
  /** Whether exp_avg / exp_avg_sq exist (false on a parameter's first step: zero state). */
  hasState: boolean;
}

const WORKGROUP = 256;
/** At most this many parameters per dispatch (shader size); fewer when the device binds fewer buffers. */
const MAX_PER_DISPATCH = 8;

// Buffers bound per parameter: outputs p', m', v' and inputs p, g (+ m, v).
function bindingsPerParam(hasState: boolean): number {
  return hasState ? 7 : 5;
}

/** Parameters one dispatch updates on this device. */
export function adamParamsPerDispatch(backend: WebGPUBackendLike, hasState: boolean): number {
  const limit = backend.device.limits.maxStorageBuffersPerShaderStage;
  return Math.max(1, Math.min(MAX_PER_DISPATCH, Math.floor(limit / bindingsPerParam(hasState))));
}

function adamProgram(count: number, hasState: boolean): LelProgram {
  const key = `${ADAM_UPDATE_GROUP}_${count}_${hasState ? 1 : 0}`;
  return {
    name: ADAM_UPDATE_GROUP,
    key,
    workgroups: [1],
    wgsl: () => {
      const per = bindingsPerParam(hasState);
      const decl: string[] = [];
      const fields: string[] = ['b1: f32', 'omb1: f32', 'b2: f32', 'omb2: f32', 'eps: f32'];
      const branches: string[] = [];
      for (let j = 0; j < count; j++) {
        const b = (k: number) => j * 3 + k;
        const inBase = count * 3 + j * (per - 3);
        decl.push(
          `@group(0) @binding(${b(0)}) var<storage, read_write> pOut${j}: array<f32>;`,
          `@group(0) @binding(${b(1)}) var<storage, read_write> mOut${j}: array<f32>;`,
          `@group(0) @binding(${b(2)}) var<storage, read_write> vOut${j}: array<f32>;`,
          `@group(0) @binding(${inBase}) var<storage, read> p${j}: array<f32>;`,
          `@group(0) @binding(${inBase + 1}) var<storage, read> g${j}: array<f32>;`,
        );
        if (hasState) {
          decl.push(`@group(0) @binding(${inBase + 2}) var<storage, read> m${j}: array<f32>;`, `@group(0) @binding(${inBase + 3}) var<storage, read> v${j}: array<f32>;`);
        }
        fields.push(`end${j}: i32`, `step${j}: f32`, `bc2${j}: f32`, `l2${j}: f32`, `decay${j}: f32`);
        const start = j === 0 ? '0' : `u.end${j - 1}`;
        // Same float32 operations, in the same order, as LEL's op-by-op Adam/AdamW (optim/adam.ts).
        branches.push(`${j === 0 ? '' : 'else '}if (idx < u.end${j}) {
    let i = idx - ${start};
    var p = p${j}[i];
    var g = g${j}[i];
    if (u.l2${j} != 0.0) { g = g + p * u.l2${j}; }
    if (u.decay${j} != 1.0) { p = p * u.decay${j}; }
    ${hasState ? `let m = m${j}[i] * u.b1 + g * u.omb1;\n    let v = v${j}[i] * u.b2 + (g * g) * u.omb2;` : `let m = g * u.omb1;\n    let v = (g * g) * u.omb2;`}
    mOut${j}[i] = m;
    vOut${j}[i] = v;
    pOut${j}[i] = p - (m / (sqrt(v) / u.bc2${j} + u.eps)) * u.step${j};
  }`);
      }
      return `
struct U { ${fields.join(', ')} };
${decl.join('\n')}
@group(0) @binding(${count * per}) var<uniform> u: U;
@compute @workgroup_size(${WORKGROUP})
fn main(${ENTRY_BUILTINS}) {
  let idx = i32(${WORKGROUP_INDEX}) * ${WORKGROUP} + i32(lid);
  ${branches.join(' ')}
}`;
    },
  };
}

const kernelFunc: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  if (!isWebGPU(backend)) throw new Error(`${ADAM_UPDATE_GROUP}: webgpu only`);
  const a = attrs as unknown as AdamGroupAttrs;
  const n = a.stepSize.length;
  const named = inputs as Record<string, tf.TensorInfo>;
  const f = Math.fround;
  const outs: tf.TensorInfo[] = [];
  const per = adamParamsPerDispatch(backend, a.hasState);
  for (let s = 0; s < n; s += per) {
    const ids = Array.from({ length: Math.min(per, n - s) }, (_, k) => s + k).filter((i) => named[`p${i}`]!.shape.reduce((x, y) => x * y, 1) > 0);
    const o: tf.TensorInfo[] = [];
    const ins: tf.TensorInfo[] = [];
    const u: [type: 'i32' | 'f32', value: number][] = [['f32', a.beta1], ['f32', f(1 - a.beta1)], ['f32', a.beta2], ['f32', f(1 - a.beta2)], ['f32', a.eps]];
    let end = 0;
    for (const i of ids) {
      const p = named[`p${i}`]!;
      o.push(makeOutput(backend, p.shape), makeOutput(backend, p.shape), makeOutput(backend, p.shape));
      ins.push(p, named[`g${i}`]!);
      if (a.hasState) ins.push(named[`m${i}`]!, named[`v${i}`]!);
      end += p.shape.reduce((x, y) => x * y, 1);
      u.push(['i32', end], ['f32', a.stepSize[i]!], ['f32', a.bc2[i]!], ['f32', a.l2[i]!], ['f32', a.decay[i]!]);
    }
    if (ids.length > 0) {
      runLelProgram(backend, { ...adamProgram(ids.length, a.hasState), workgroups: [Math.ceil(end / WORKGROUP)] }, o, ins, uniforms(u));
    }
    // Outputs in parameter order; empty parameters get empty outputs.
    let k = 0;
    for (let i = s; i < Math.min(s + per, n); i++) {
      if (ids.includes(i)) {
        outs.push(o[k]!, o[k + 1]!, o[k + 2]!);
        k += 3;
      } else {
        const shape = named[`p${i}`]!.shape;
        for (let r = 0; r < 3; r++) outs.push(backend.makeTensorInfo(shape, 'float32', new Float32Array(0)));
      }
    }
  }
  return outs;
};

/** Kernel config of {@link ADAM_UPDATE_GROUP}. */
export const adamUpdateGroupWebGPUConfig: tf.KernelConfig = { kernelName: ADAM_UPDATE_GROUP, backendName: 'webgpu', kernelFunc };

/** Whether the current backend has the fused group update (webgpu, LEL's kernels on). */
export function adamGroupUpdateAvailable(): boolean {
  return tf.getBackend() === 'webgpu' && lelWebGPUKernelsEnabled() && tf.getKernel(ADAM_UPDATE_GROUP, 'webgpu') !== undefined;
}

/** One parameter of a fused group update. */
export interface AdamGroupEntry {
  p: tf.Tensor;
  g: tf.Tensor;
  m?: tf.Tensor;
  v?: tf.Tensor;
  bc2: number;
  stepSize: number;
  l2: number;
  decay: number;
}

/**
 * Update every parameter of `entries` (all with, or all without, optimiser state) in as few dispatches as the
 * device's binding limit allows — one kernel call for the group instead of ~12 tfjs ops per parameter.
 * Returns [p', m', v'] per entry (float32, owned by the caller).
 */
export function fusedAdamGroupUpdate(entries: AdamGroupEntry[], beta1: number, beta2: number, eps: number): [tf.Tensor, tf.Tensor, tf.Tensor][] {
  const hasState = entries[0]?.m !== undefined;
  const inputs: tf.NamedTensorMap = {};
  entries.forEach((e, i) => {
    inputs[`p${i}`] = e.p;
    inputs[`g${i}`] = e.g;
    if (hasState) {
      inputs[`m${i}`] = e.m!;
      inputs[`v${i}`] = e.v!;
    }
  });
  const attrs: AdamGroupAttrs = {
    beta1,
    beta2,
    eps,
    hasState,
    bc2: entries.map((e) => e.bc2),
    stepSize: entries.map((e) => e.stepSize),
    l2: entries.map((e) => e.l2),
    decay: entries.map((e) => e.decay),
  };
  const out = tf.engine().runKernel(ADAM_UPDATE_GROUP, inputs, attrs as unknown as tf.NamedAttrMap) as unknown as tf.Tensor[];
  return entries.map((_, i) => [out[3 * i]!, out[3 * i + 1]!, out[3 * i + 2]!]);
}
