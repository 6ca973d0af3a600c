import * as tf from '@tensorflow/tfjs-core';
import { isWebGPU, type WebGPUBackendLike } from '../../webgpu/gpu-types';
import { lelWebGPUKernelsEnabled } from './overrides';
import { ENTRY_BUILTINS, WORKGROUP_INDEX, bindingsWgsl, makeOutput, runLelProgram, uniforms, workgroupReduceWgsl, type LelProgram } from './program';
import { sumSplitsInto } from './sum-splits';

/** LEL's fused LayerNorm over the last axis (webgpu): outputs y, mean, 1/√(var + eps) per row. */
export const LAYER_NORM = 'LelLayerNorm';
/** Its gradient: dx, dγ, dβ from dy and the saved statistics. */
export const LAYER_NORM_GRAD = 'LelLayerNormGrad';

const WG = 128;
/** Rows per partial sum of dγ/dβ. */
const ROWS_PER_CHUNK = 64;

/** WGSL: a workgroup-wide sum (call from uniform control flow). */
const WG_SUM = `${workgroupReduceWgsl(WG)}
fn wgSum(v: f32, t: u32) -> f32 { return wgReduce(v, t, false); }`;

const forwardProgram: LelProgram = {
  name: LAYER_NORM,
  key: LAYER_NORM,
  workgroups: [1],
  // Two passes as LEL's op-by-op layerNorm: mean, then the mean of squared deviations (biased variance).
  wgsl: () => `
struct U { rows: i32, D: i32, eps: f32 };
${bindingsWgsl(['y', 'meanOut', 'rstdOut'], ['x', 'gamma', 'beta'])}
${WG_SUM}
@compute @workgroup_size(${WG})
fn main(${ENTRY_BUILTINS}) {
  let row = i32(${WORKGROUP_INDEX});
  if (row >= u.rows) { return; }
  let base = row * u.D;
  var s = 0.0;
  for (var i = i32(lid); i < u.D; i = i + ${WG}) { s = s + x[base + i]; }
  let mean = wgSum(s, lid) / f32(u.D);
  var q = 0.0;
  for (var i = i32(lid); i < u.D; i = i + ${WG}) { let c = x[base + i] - mean; q = q + c * c; }
  let rstd = inverseSqrt(wgSum(q, lid) / f32(u.D) + u.eps);
  for (var i = i32(lid); i < u.D; i = i + ${WG}) { y[base + i] = (x[base + i] - mean) * rstd * gamma[i] + beta[i]; }
  if (lid == 0u) { meanOut[row] = mean; rstdOut[row] = rstd; }
}`,
};

const inputGradProgram: LelProgram = {
  name: `${LAYER_NORM_GRAD}Input`,
  key: `${LAYER_NORM_GRAD}Input`,
  workgroups: [1],
  // dx = rstd·(dy·γ − mean(dy·γ) − x̂·mean(dy·γ·x̂)), x̂ = (x − mean)·rstd.
  wgsl: () => `
struct U { rows: i32, D: i32 };
${bindingsWgsl(['dx'], ['dy', 'x', 'mean', 'rstd', 'gamma'])}
${WG_SUM}
@compute @workgroup_size(${WG})
fn main(${ENTRY_BUILTINS}) {
  let row = i32(${WORKGROUP_INDEX});
  if (row >= u.rows) { return; }
  let base = row * u.D;
  let m = mean[row];
  let r = rstd[row];
  var a = 0.0;
  var b = 0.0;
  for (var i = i32(lid); i < u.D; i = i + ${WG}) {
    let g = dy[base + i] * gamma[i];
    a = a + g;
    b = b + g * (x[base + i] - m) * r;
  }
  let meanG = wgSum(a, lid) / f32(u.D);
  let meanGX = wgSum(b, lid) / f32(u.D);
  for (var i = i32(lid); i < u.D; i = i + ${WG}) {
    let xh = (x[base + i] - m) * r;
    dx[base + i] = r * (dy[base + i] * gamma[i] - meanG - xh * meanGX);
  }
}`,
};

const paramGradProgram: LelProgram = {
  name: `${LAYER_NORM_GRAD}Params`,
  key: `${LAYER_NORM_GRAD}Params`,
  workgroups: [1],
  // Partial column sums over ${ROWS_PER_CHUNK}-row chunks: dγ = Σ dy·x̂, dβ = Σ dy.
  wgsl: () => `
struct U { rows: i32, D: i32, colGroups: i32 };
${bindingsWgsl(['dGamma', 'dBeta'], ['dy', 'x', 'mean', 'rstd'])}
@compute @workgroup_size(${WG})
fn main(${ENTRY_BUILTINS}) {
  let w = i32(${WORKGROUP_INDEX});
  let chunk = w / u.colGroups;
  let col = (w - chunk * u.colGroups) * ${WG} + i32(lid);
  let r0 = chunk * ${ROWS_PER_CHUNK};
  if (col >= u.D || r0 >= u.rows) { return; }
  var g = 0.0;
  var b = 0.0;
  for (var r = r0; r < min(r0 + ${ROWS_PER_CHUNK}, u.rows); r = r + 1) {
    let d = dy[r * u.D + col];
    g = g + d * (x[r * u.D + col] - mean[r]) * rstd[r];
    b = b + d;
  }
  dGamma[chunk * u.D + col] = g;
  dBeta[chunk * u.D + col] = b;
}`,
};

function rowsOf(x: tf.TensorInfo): [number, number] {
  const d = x.shape[x.shape.length - 1]!;
  const size = x.shape.reduce((a, b) => a * b, 1);
  return [d === 0 ? 0 : size / d, d];
}

function forward({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo[] {
  if (!isWebGPU(backend)) throw new Error(`${LAYER_NORM}: webgpu only`);
  const { x, gamma, beta } = inputs as { x: tf.TensorInfo; gamma: tf.TensorInfo; beta: tf.TensorInfo };
  const [rows, d] = rowsOf(x);
  const y = makeOutput(backend, x.shape);
  const mean = makeOutput(backend, [rows]);
  const rstd = makeOutput(backend, [rows]);
  const u = uniforms([['i32', rows], ['i32', d], ['f32', (attrs as { eps: number }).eps]]);
  return runLelProgram(backend, { ...forwardProgram, workgroups: [rows] }, [y, mean, rstd], [x, gamma, beta], u);
}

/** dγ, dβ from partial sums over row chunks (a second pass sums the chunks when there is more than one). */
function paramGrads(backend: WebGPUBackendLike, dy: tf.TensorInfo, x: tf.TensorInfo, mean: tf.TensorInfo, rstd: tf.TensorInfo, rows: number, d: number): [tf.TensorInfo, tf.TensorInfo] {
  const chunks = Math.ceil(rows / ROWS_PER_CHUNK);
  const colGroups = Math.ceil(d / WG);
  const shape = chunks === 1 ? [d] : [chunks, d];
  const partial = [makeOutput(backend, shape), makeOutput(backend, shape)];
  runLelProgram(backend, { ...paramGradProgram, workgroups: [chunks * colGroups] }, partial, [dy, x, mean, rstd], uniforms([['i32', rows], ['i32', d], ['i32', colGroups]]));
  if (chunks === 1) return partial as [tf.TensorInfo, tf.TensorInfo];
  const out = partial.map((p) => {
    const o = sumSplitsInto(backend, p, chunks, d, makeOutput(backend, [d]));
    backend.disposeData(p.dataId);
    return o;
  });
  return out as [tf.TensorInfo, tf.TensorInfo];
}

function backward({ inputs, backend }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo[] {
  if (!isWebGPU(backend)) throw new Error(`${LAYER_NORM_GRAD}: webgpu only`);
  const { dy, x, mean, rstd, gamma } = inputs as Record<'dy' | 'x' | 'mean' | 'rstd' | 'gamma', tf.TensorInfo>;
  const [rows, d] = rowsOf(x);
  const dx = makeOutput(backend, x.shape);
  runLelProgram(backend, { ...inputGradProgram, workgroups: [rows] }, [dx], [dy, x, mean, rstd, gamma], uniforms([['i32', rows], ['i32', d]]));
  return [dx, ...paramGrads(backend, dy, x, mean, rstd, rows, d)];
}

/** Kernel configs of {@link LAYER_NORM} and {@link LAYER_NORM_GRAD}. */
export const layerNormWebGPUConfigs: tf.KernelConfig[] = [
  { kernelName: LAYER_NORM, backendName: 'webgpu', kernelFunc: forward as tf.KernelFunc },
  { kernelName: LAYER_NORM_GRAD, backendName: 'webgpu', kernelFunc: backward as tf.KernelFunc },
];

/** Gradient of {@link LAYER_NORM}: one {@link LAYER_NORM_GRAD} call for dx, dγ and dβ. */
export const layerNormGradConfig: tf.GradConfig = {
  kernelName: LAYER_NORM,
  inputsToSave: ['x', 'gamma'],
  outputsToSave: [false, true, true],
  gradFunc: (dys, saved) => {
    const dy = (Array.isArray(dys) ? dys[0] : dys) as tf.Tensor;
    const [x, gamma, mean, rstd] = saved as tf.Tensor[];
    const [dx, dGamma, dBeta] = tf.engine().runKernel(LAYER_NORM_GRAD, { dy, x: x!, mean: mean!, rstd: rstd!, gamma: gamma! }) as unknown as tf.Tensor[];
    return { x: () => dx!, gamma: () => dGamma!, beta: () => dBeta! };
  },
};

/**
 * LayerNorm over the last axis as one WebGPU dispatch forward and four backward (instead of ~10 and ~25
 * tfjs kernels), when the current backend is webgpu and LEL's kernels are on; undefined otherwise (the
 * caller composes tfjs ops). Call inside a tidy; γ/β may be null (no affine).
 */
export function fusedLayerNorm(x: tf.Tensor, gammaIn: tf.Tensor | null, betaIn: tf.Tensor | null, eps: number): tf.Tensor | undefined {
  if (tf.getBackend() !== 'webgpu' || !lelWebGPUKernelsEnabled() || !tf.getKernel(LAYER_NORM, 'webgpu')) return undefined;
  if (x.dtype !== 'float32' || gammaIn?.dtype === 'int32' || betaIn?.dtype === 'int32' || x.size === 0) return undefined;
  const d = x.shape[x.rank - 1]!;
  const gamma = gammaIn ? tf.cast(gammaIn, 'float32') : tf.ones([d]);
  const beta = betaIn ? tf.cast(betaIn, 'float32') : tf.zeros([d]);
  const out = tf.engine().runKernel(LAYER_NORM, { x, gamma, beta }, { eps }) as unknown as tf.Tensor[];
  return out[0]!;
}
