import * as tf from '@tensorflow/tfjs-core';
import { isWebGPU } from '../../webgpu/gpu-types';
import { lelWebGPUKernelsEnabled } from './overrides';
import { ENTRY_BUILTINS, WORKGROUP_INDEX, makeOutput, runLelProgram, uniforms, bindingsWgsl, workgroupReduceWgsl, type LelProgram } from './program';

/**
 * LEL's fused softmax cross-entropy over the last axis with integer labels (webgpu). Outputs per position:
 * the loss ℓ = v·((1 − e)·(lse − z_y) + (e/C)·Σ_c (lse − z_c)), v = 0 where label = ignoreIndex (else 1),
 * and lse = log Σ exp z (saved for the gradient). A label outside [0, C) contributes no (1 − e) term, as
 * LEL's op-by-op crossEntropy without validation.
 */
export const SOFTMAX_CROSS_ENTROPY = 'LelSoftmaxCrossEntropy';
/** Its gradient: dz_c = dℓ·v·((1 − e)·(p_c − [c = y]) + e·(p_c − 1/C)). */
export const SOFTMAX_CROSS_ENTROPY_GRAD = 'LelSoftmaxCrossEntropyGrad';

/** Up to this many classes one thread handles a row; above, one workgroup per row. */
const THREAD_PER_ROW_MAX_C = 64;
const WG = 128;

const WG_REDUCE = workgroupReduceWgsl(WG);

const HEADER = `struct U { N: i32, C: i32, ignoreIndex: i32, e: f32 };`;

// The row's statistics, by one thread (small C) or a whole workgroup (large C, strided then reduced).
function rowStats(perRow: boolean): string {
  const loop = perRow ? 'for (var c = 0; c < u.C; c = c + 1)' : `for (var c = i32(lid); c < u.C; c = c + ${WG})`;
  const reduce = (v: string, isMax: boolean) => (perRow ? v : `wgReduce(${v}, lid, ${isMax})`);
  return `
  var mx = -3.402823e38;
  ${loop} { mx = max(mx, z[base + c]); }
  mx = ${reduce('mx', true)};
  var se = 0.0;
  var sz = 0.0;
  ${loop} { let zc = z[base + c]; se = se + exp(zc - mx); sz = sz + zc; }
  se = ${reduce('se', false)};
  sz = ${reduce('sz', false)};
  let lse = mx + log(se);`;
}

function forwardProgram(perRow: boolean): LelProgram {
  const name = SOFTMAX_CROSS_ENTROPY;
  return {
    name,
    key: `${name}_${perRow ? 'row' : 'wg'}`,
    workgroups: [1],
    wgsl: () => `
${HEADER}
${bindingsWgsl(['loss', 'lseOut'], ['z', 'labels: array<i32>'])}
${perRow ? '' : WG_REDUCE}
@compute @workgroup_size(${WG})
fn main(${ENTRY_BUILTINS}) {
  let row = ${perRow ? `i32(${WORKGROUP_INDEX}) * ${WG} + i32(lid)` : `i32(${WORKGROUP_INDEX})`};
  if (row >= u.N) { return; }
  let base = row * u.C;
  ${rowStats(perRow)}
  let y = labels[row];
  let v = select(1.0, 0.0, y == u.ignoreIndex);
  var nll = 0.0;
  if (y >= 0 && y < u.C) { nll = lse - z[base + y]; }
  let smoothSum = f32(u.C) * lse - sz;
  ${perRow ? '' : 'if (lid == 0u) {'}
  loss[row] = v * ((1.0 - u.e) * nll + (u.e / f32(u.C)) * smoothSum);
  lseOut[row] = lse;
  ${perRow ? '' : '}'}
}`,
  };
}

function gradProgram(perRow: boolean): LelProgram {
  const name = SOFTMAX_CROSS_ENTROPY_GRAD;
  const loop = perRow ? 'for (var c = 0; c < u.C; c = c + 1)' : `for (var c = i32(lid); c < u.C; c = c + ${WG})`;
  return {
    name,
    key: `${name}_${perRow ? 'row' : 'wg'}`,
    workgroups: [1],
    wgsl: () => `
${HEADER}
${bindingsWgsl(['dz'], ['dloss', 'z', 'labels: array<i32>', 'lse'])}
@compute @workgroup_size(${WG})
fn main(${ENTRY_BUILTINS}) {
  let row = ${perRow ? `i32(${WORKGROUP_INDEX}) * ${WG} + i32(lid)` : `i32(${WORKGROUP_INDEX})`};
  if (row >= u.N) { return; }
  let base = row * u.C;
  let y = labels[row];
  let scale = select(dloss[row], 0.0, y == u.ignoreIndex);
  let hard = 1.0 - u.e;
  let soft = u.e / f32(u.C);
  let l = lse[row];
  let inRange = y >= 0 && y < u.C;
  ${loop} {
    let p = exp(z[base + c] - l);
    var g = u.e * p - soft;
    if (inRange) { g = g + hard * (p - select(0.0, 1.0, c == y)); }
    dz[base + c] = scale * g;
  }
}`,
  };
}

interface Attrs {
  ignoreIndex: number;
  labelSmoothing: number;
}

function shapeOf(z: tf.TensorInfo): [number, number] {
  const c = z.shape[z.shape.length - 1]!;
  return [c === 0 ? 0 : z.shape.reduce((a, b) => a * b, 1) / c, c];
}

function dispatch(perRow: boolean, n: number): [number] {
  return [perRow ? Math.ceil(n / WG) : n];
}

function u(n: number, c: number, a: Attrs) {
  return uniforms([['i32', n], ['i32', c], ['i32', a.ignoreIndex], ['f32', a.labelSmoothing]]);
}

const forward: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  if (!isWebGPU(backend)) throw new Error(`${SOFTMAX_CROSS_ENTROPY}: webgpu only`);
  const { logits, labels } = inputs as { logits: tf.TensorInfo; labels: tf.TensorInfo };
  const [n, c] = shapeOf(logits);
  const perRow = c <= THREAD_PER_ROW_MAX_C;
  const outs = [makeOutput(backend, labels.shape), makeOutput(backend, labels.shape)];
  return runLelProgram(backend, { ...forwardProgram(perRow), workgroups: dispatch(perRow, n) }, outs, [logits, labels], u(n, c, attrs as unknown as Attrs));
};

const backward: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  if (!isWebGPU(backend)) throw new Error(`${SOFTMAX_CROSS_ENTROPY_GRAD}: webgpu only`);
  const { dloss, logits, labels, lse } = inputs as Record<'dloss' | 'logits' | 'labels' | 'lse', tf.TensorInfo>;
  const [n, c] = shapeOf(logits);
  const perRow = c <= THREAD_PER_ROW_MAX_C;
  const dz = makeOutput(backend, logits.shape);
  return runLelProgram(backend, { ...gradProgram(perRow), workgroups: dispatch(perRow, n) }, [dz], [dloss, logits, labels, lse], u(n, c, attrs as unknown as Attrs))[0]!;
};

/** Kernel configs of {@link SOFTMAX_CROSS_ENTROPY} and its gradient. */
export const softmaxCrossEntropyWebGPUConfigs: tf.KernelConfig[] = [
  { kernelName: SOFTMAX_CROSS_ENTROPY, backendName: 'webgpu', kernelFunc: forward },
  { kernelName: SOFTMAX_CROSS_ENTROPY_GRAD, backendName: 'webgpu', kernelFunc: backward },
];

/** Gradient of {@link SOFTMAX_CROSS_ENTROPY} (logits only; labels are integers). */
export const softmaxCrossEntropyGradConfig: tf.GradConfig = {
  kernelName: SOFTMAX_CROSS_ENTROPY,
  inputsToSave: ['logits', 'labels'],
  outputsToSave: [false, true],
  gradFunc: (dys, saved, attrs) => {
    const dloss = (Array.isArray(dys) ? dys[0] : dys) as tf.Tensor;
    const [logits, labels, lse] = saved as tf.Tensor[];
    return {
      logits: () => tf.engine().runKernel(SOFTMAX_CROSS_ENTROPY_GRAD, { dloss, logits: logits!, labels: labels!, lse: lse! }, attrs as tf.NamedAttrMap) as tf.Tensor,
      labels: () => tf.zerosLike(labels!),
    };
  },
};

/**
 * Per-position softmax cross-entropy in one WebGPU dispatch (gradient: one more), when the current backend
 * is webgpu and LEL's kernels are on; undefined otherwise. logits `[..., C]` float32, labels int32 `[...]`.
 * Returns the loss shaped like labels (0 at ignored positions); call inside a tidy.
 */
export function fusedSoftmaxCrossEntropy(logits: tf.Tensor, labels: tf.Tensor, ignoreIndex: number, labelSmoothing: number): tf.Tensor | undefined {
  if (tf.getBackend() !== 'webgpu' || !lelWebGPUKernelsEnabled() || !tf.getKernel(SOFTMAX_CROSS_ENTROPY, 'webgpu')) return undefined;
  if (logits.dtype !== 'float32' || labels.dtype !== 'int32' || logits.size === 0) return undefined;
  const out = tf.engine().runKernel(SOFTMAX_CROSS_ENTROPY, { logits, labels }, { ignoreIndex, labelSmoothing }) as unknown as tf.Tensor[];
  return out[0]!;
}
