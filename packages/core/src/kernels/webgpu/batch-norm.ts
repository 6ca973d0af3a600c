import * as tf from '@tensorflow/tfjs-core';
import { isWebGPU, type WebGPUBackendLike } from '../../webgpu/gpu-types';
import { lelWebGPUKernelsEnabled } from './overrides';
import { ENTRY_BUILTINS, WORKGROUP_INDEX, bindingsWgsl, makeOutput, runLelProgram, uniforms, type LelProgram } from './program';

/**
 * LEL's fused training-mode BatchNorm over the channel (last) axis of an NHWC tensor (webgpu): batch mean and
 * biased variance per channel (two passes, as LEL's op-by-op BatchNorm2d), the normalised and affine output,
 * and the updated running statistics (momentum, unbiased variance as PyTorch). Outputs: y, mean, rstd =
 * 1/√(var + eps), running mean', running var'.
 */
export const BATCH_NORM_TRAIN = 'LelBatchNormTrain';
/** Its gradient: dx, dγ, dβ. */
export const BATCH_NORM_TRAIN_GRAD = 'LelBatchNormTrainGrad';

const WG = 256;
/** Rows (N·H·W positions) per partial column sum. */
const ROWS = 128;

/**
 * Partial column sums over chunks of {@link ROWS} rows of an [M, C] matrix, one output per expression
 * (`x`, `dy`: the inputs at `i`; `c`: the channel; `mean`/`rstd` inputs when `stats`).
 */
function columnSumsProgram(name: string, inputs: string[], exprs: string[]): LelProgram {
  return {
    name,
    key: name,
    workgroups: [1],
    wgsl: () => `
struct U { M: i32, C: i32, chunks: i32 };
${bindingsWgsl(exprs.map((_, k) => `out${k}`), inputs)}
@compute @workgroup_size(${WG})
fn main(${ENTRY_BUILTINS}) {
  let t = i32(${WORKGROUP_INDEX}) * ${WG} + i32(lid);
  if (t >= u.chunks * u.C) { return; }
  let chunk = t / u.C;
  let c = t - chunk * u.C;
  ${exprs.map((_, k) => `var s${k} = 0.0;`).join(' ')}
  for (var r = chunk * ${ROWS}; r < min((chunk + 1) * ${ROWS}, u.M); r = r + 1) {
    let i = r * u.C + c;
    ${exprs.map((e, k) => `s${k} = s${k} + ${e};`).join('\n    ')}
  }
  ${exprs.map((_, k) => `out${k}[t] = s${k};`).join(' ')}
}`,
  };
}

const sumX = columnSumsProgram('LelBatchNormSumX', ['x'], ['x[i]']);
const sumSq = columnSumsProgram('LelBatchNormSumSquares', ['x', 'mean'], ['(x[i] - mean[c]) * (x[i] - mean[c])']);
const sumGrad = columnSumsProgram('LelBatchNormGradSums', ['dy', 'x', 'mean', 'rstd'], ['dy[i]', 'dy[i] * (x[i] - mean[c]) * rstd[c]']);

/** out_k[c] = Σ_chunks partial_k[chunk, c] · scale (one thread per channel, chunks in order). */
function finishProgram(name: string, count: number, body: string, extraInputs: string[], fields: string): LelProgram {
  return {
    name,
    key: name,
    workgroups: [1],
    wgsl: () => `
struct U { C: i32, chunks: i32, ${fields} };
${bindingsWgsl(Array.from({ length: count }, (_, k) => `out${k}`), extraInputs)}
@compute @workgroup_size(${WG})
fn main(${ENTRY_BUILTINS}) {
  let c = i32(${WORKGROUP_INDEX}) * ${WG} + i32(lid);
  if (c >= u.C) { return; }
  ${body}
}`,
  };
}

const SUM = (p: string) => `var ${p}Sum = 0.0; for (var k = 0; k < u.chunks; k = k + 1) { ${p}Sum = ${p}Sum + ${p}[k * u.C + c]; }`;
const finishMean = finishProgram('LelBatchNormMean', 1, `${SUM('part')} out0[c] = partSum / u.M;`, ['part'], 'M: f32');
// var → rstd and the running statistics (PyTorch: unbiased variance, momentum m).
const finishVar = finishProgram(
  'LelBatchNormVar',
  3,
  `${SUM('part')}
  let variance = partSum / u.M;
  out0[c] = inverseSqrt(variance + u.eps);
  out1[c] = runMean[c] * (1.0 - u.momentum) + mean[c] * u.momentum;
  out2[c] = runVar[c] * (1.0 - u.momentum) + (variance * u.unbias) * u.momentum;`,
  ['part', 'mean', 'runMean', 'runVar'],
  'M: f32, eps: f32, momentum: f32, unbias: f32',
);
const finishGrad = finishProgram('LelBatchNormGradParams', 2, `${SUM('pb')} ${SUM('pg')} out0[c] = pgSum; out1[c] = pbSum;`, ['pb', 'pg'], 'pad: i32');

const normalize: LelProgram = {
  name: 'LelBatchNormNormalize',
  key: 'LelBatchNormNormalize',
  workgroups: [1],
  wgsl: () => `
struct U { size: i32, C: i32 };
${bindingsWgsl(['y'], ['x', 'mean', 'rstd', 'gamma', 'beta'])}
@compute @workgroup_size(${WG})
fn main(${ENTRY_BUILTINS}) {
  let i = i32(${WORKGROUP_INDEX}) * ${WG} + i32(lid);
  if (i >= u.size) { return; }
  let c = i % u.C;
  y[i] = (x[i] - mean[c]) * rstd[c] * gamma[c] + beta[c];
}`,
};

// dx = γ·rstd·(dy − Σdy/M − x̂·Σ(dy·x̂)/M): the full gradient through the batch statistics.
const inputGrad: LelProgram = {
  name: 'LelBatchNormInputGrad',
  key: 'LelBatchNormInputGrad',
  workgroups: [1],
  wgsl: () => `
struct U { size: i32, C: i32, M: f32 };
${bindingsWgsl(['dx'], ['dy', 'x', 'mean', 'rstd', 'gamma', 'dGamma', 'dBeta'])}
@compute @workgroup_size(${WG})
fn main(${ENTRY_BUILTINS}) {
  let i = i32(${WORKGROUP_INDEX}) * ${WG} + i32(lid);
  if (i >= u.size) { return; }
  let c = i % u.C;
  let xh = (x[i] - mean[c]) * rstd[c];
  dx[i] = gamma[c] * rstd[c] * (dy[i] - dBeta[c] / u.M - xh * dGamma[c] / u.M);
}`,
};

function dims(x: tf.TensorInfo): [number, number] {
  const c = x.shape[x.shape.length - 1]!;
  return [x.shape.reduce((a, b) => a * b, 1) / c, c];
}

/** Partial sums of `program` then their per-channel finish; partials are freed. */
function columnStats(backend: WebGPUBackendLike, m: number, c: number, program: LelProgram, inputs: tf.TensorInfo[], outputs: number): tf.TensorInfo[] {
  const chunks = Math.ceil(m / ROWS);
  const parts = Array.from({ length: outputs }, () => makeOutput(backend, [chunks, c]));
  return runLelProgram(backend, { ...program, workgroups: [Math.ceil((chunks * c) / WG)] }, parts, inputs, uniforms([['i32', m], ['i32', c], ['i32', chunks]]));
}

function forward({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo[] {
  if (!isWebGPU(backend)) throw new Error(`${BATCH_NORM_TRAIN}: webgpu only`);
  const { x, gamma, beta, runMean, runVar } = inputs as Record<'x' | 'gamma' | 'beta' | 'runMean' | 'runVar', tf.TensorInfo>;
  const { eps, momentum } = attrs as unknown as { eps: number; momentum: number };
  const [m, c] = dims(x);
  const chunks = Math.ceil(m / ROWS);
  const groups = [Math.ceil(c / WG)] as [number];
  const [p1] = columnStats(backend, m, c, sumX, [x], 1);
  const mean = runLelProgram(backend, { ...finishMean, workgroups: groups }, [makeOutput(backend, [c])], [p1!], uniforms([['i32', c], ['i32', chunks], ['f32', m]]))[0]!;
  backend.disposeData(p1!.dataId);
  const [p2] = columnStats(backend, m, c, sumSq, [x, mean], 1);
  const stats = [makeOutput(backend, [c]), makeOutput(backend, [c]), makeOutput(backend, [c])];
  const u = uniforms([['i32', c], ['i32', chunks], ['f32', m], ['f32', eps], ['f32', momentum], ['f32', m / (m - 1)]]);
  const [rstd, newMean, newVar] = runLelProgram(backend, { ...finishVar, workgroups: groups }, stats, [p2!, mean, runMean, runVar], u);
  backend.disposeData(p2!.dataId);
  const size = m * c;
  const y = runLelProgram(backend, { ...normalize, workgroups: [Math.ceil(size / WG)] }, [makeOutput(backend, x.shape)], [x, mean, rstd!, gamma, beta], uniforms([['i32', size], ['i32', c]]))[0]!;
  return [y, mean, rstd!, newMean!, newVar!];
}

function backward({ inputs, backend }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo[] {
  if (!isWebGPU(backend)) throw new Error(`${BATCH_NORM_TRAIN_GRAD}: webgpu only`);
  const { dy, x, mean, rstd, gamma } = inputs as Record<'dy' | 'x' | 'mean' | 'rstd' | 'gamma', tf.TensorInfo>;
  const [m, c] = dims(x);
  const chunks = Math.ceil(m / ROWS);
  const [pb, pg] = columnStats(backend, m, c, sumGrad, [dy, x, mean, rstd], 2);
  const params = [makeOutput(backend, [c]), makeOutput(backend, [c])];
  const [dGamma, dBeta] = runLelProgram(backend, { ...finishGrad, workgroups: [Math.ceil(c / WG)] }, params, [pb!, pg!], uniforms([['i32', c], ['i32', chunks], ['i32', 0]]));
  backend.disposeData(pb!.dataId);
  backend.disposeData(pg!.dataId);
  const size = m * c;
  const dx = runLelProgram(backend, { ...inputGrad, workgroups: [Math.ceil(size / WG)] }, [makeOutput(backend, x.shape)], [dy, x, mean, rstd, gamma, dGamma!, dBeta!], uniforms([['i32', size], ['i32', c], ['f32', m]]))[0]!;
  return [dx, dGamma!, dBeta!];
}

/** Kernel configs of {@link BATCH_NORM_TRAIN} and {@link BATCH_NORM_TRAIN_GRAD}. */
export const batchNormWebGPUConfigs: tf.KernelConfig[] = [
  { kernelName: BATCH_NORM_TRAIN, backendName: 'webgpu', kernelFunc: forward as tf.KernelFunc },
  { kernelName: BATCH_NORM_TRAIN_GRAD, backendName: 'webgpu', kernelFunc: backward as tf.KernelFunc },
];

/** Gradient of {@link BATCH_NORM_TRAIN} (through the batch statistics); running statistics get none. */
export const batchNormTrainGradConfig: tf.GradConfig = {
  kernelName: BATCH_NORM_TRAIN,
  inputsToSave: ['x', 'gamma'],
  outputsToSave: [false, true, true, false, false],
  gradFunc: (dys, saved) => {
    const dy = (Array.isArray(dys) ? dys[0] : dys) as tf.Tensor;
    const [x, gamma, mean, rstd] = saved as tf.Tensor[];
    const [dx, dGamma, dBeta] = tf.engine().runKernel(BATCH_NORM_TRAIN_GRAD, { dy, x: x!, mean: mean!, rstd: rstd!, gamma: gamma! }) as unknown as tf.Tensor[];
    return { x: () => dx!, gamma: () => dGamma!, beta: () => dBeta!, runMean: () => tf.zerosLike(mean!), runVar: () => tf.zerosLike(mean!) };
  },
};

/**
 * Training-mode BatchNorm over the last axis in 5 WebGPU dispatches forward and 3 backward (instead of ~16 and
 * ~25 tfjs kernels), when the current backend is webgpu and LEL's kernels are on; undefined otherwise.
 * Returns y and the new running statistics (the caller assigns them). Call inside a tidy.
 */
export function fusedBatchNormTrain(
  x: tf.Tensor,
  gamma: tf.Tensor | null,
  beta: tf.Tensor | null,
  runMean: tf.Tensor,
  runVar: tf.Tensor,
  eps: number,
  momentum: number,
): { y: tf.Tensor; runMean: tf.Tensor; runVar: tf.Tensor } | undefined {
  if (tf.getBackend() !== 'webgpu' || !lelWebGPUKernelsEnabled() || !tf.getKernel(BATCH_NORM_TRAIN, 'webgpu')) return undefined;
  if (x.dtype !== 'float32' || x.size === 0) return undefined;
  const c = x.shape[x.rank - 1]!;
  const inputs = { x, gamma: gamma ?? tf.ones([c]), beta: beta ?? tf.zeros([c]), runMean, runVar };
  const out = tf.engine().runKernel(BATCH_NORM_TRAIN, inputs, { eps, momentum }) as unknown as tf.Tensor[];
  return { y: out[0]!, runMean: out[3]!, runVar: out[4]! };
}
