import type * as tf from '@tensorflow/tfjs-core';
import { isWebGPU } from '../../webgpu/gpu-types';
import { RESIZE_BILINEAR_GRAD } from '../resize-bilinear-grad';
import { RESIZE_NEAREST_GRAD } from '../resize-nearest-grad';
import { ENTRY_BUILTINS, WORKGROUP_INDEX, bindingsWgsl, makeOutput, runLelProgram, uniforms, type LelProgram } from './program';

/*
 * LEL's resize gradients on webgpu. tfjs-webgpu's ResizeBilinearGrad and ResizeNearestNeighborGrad (4.22) ignore
 * `halfPixelCenters` (their programs take only `alignCorners`, like tfjs-cpu's), so with half-pixel centres
 * (PyTorch's align_corners=False) they return the gradient of a different resize. These are the exact transposes
 * of tfjs-webgpu's own forward programs: each dx element gathers the dy elements whose taps reach it, with the
 * taps computed by the forward shader's own f32 expressions (so nearest-neighbour picks the same source pixels
 * as the forward on the same device). One thread per dx element; no atomics, so results are deterministic.
 */

const WG = 64;

/** WGSL shared by both programs: uniforms, bindings, the thread's dx coordinates and its dy window. */
function header(): string {
  return `
struct U { n: i32, h: i32, w: i32, c: i32, nh: i32, nw: i32, adjH: f32, adjW: f32, hp: f32, invH: f32, invW: f32, lo: f32, hi: f32, roundBase: f32 };
${bindingsWgsl(['dx'], ['dy'])}
// The forward's ratio, as tfjs-webgpu's resize shaders compute it.
fn ratioRC() -> vec2<f32> {
  let inSize = vec2<f32>(f32(u.h) - u.adjH, f32(u.w) - u.adjW);
  let outSize = vec2<f32>(f32(u.nh) - u.adjH, f32(u.nw) - u.adjW);
  return inSize / outSize;
}
// dy rows (or columns) that may reach dx row r: the taps of dy index i lie in [(i + hp)·ratio − hp + lo,
// … + hi], so i lies in [(r − hi + hp)·inv − hp, (r − lo + hp)·inv − hp], widened by one for rounding. The
// last row also takes every dy index whose tap was clamped to it; inv = 0 marks a one-pixel side (ratio 0).
fn window(r: i32, size: i32, newSize: i32, inv: f32) -> vec2<i32> {
  var a = i32(floor((f32(r) - u.hi + u.hp) * inv - u.hp)) - 1;
  var b = i32(ceil((f32(r) - u.lo + u.hp) * inv - u.hp)) + 2;
  if (r == size - 1 || inv == 0.0) { b = newSize; }
  if (inv == 0.0) { a = 0; }
  return vec2<i32>(max(a, 0), min(b, newSize));
}`;
}

/** The body shared by both programs around `inner` (which adds to `acc` for dy row i and column j). */
function program(name: string, tap: string, inner: string): LelProgram {
  return {
    name,
    key: name,
    workgroups: [1],
    wgsl: () => `${header()}
${tap}
@compute @workgroup_size(${WG})
fn main(${ENTRY_BUILTINS}) {
  let idx = i32(${WORKGROUP_INDEX}) * ${WG} + i32(lid);
  if (idx >= u.n * u.h * u.w * u.c) { return; }
  let d = idx % u.c;
  let c = (idx / u.c) % u.w;
  let r = (idx / (u.c * u.w)) % u.h;
  let b = idx / (u.c * u.w * u.h);
  let ratio = ratioRC();
  let rows = window(r, u.h, u.nh, u.invH);
  let cols = window(c, u.w, u.nw, u.invW);
  var acc = 0.0;
  for (var i = rows.x; i < rows.y; i = i + 1) {
    for (var j = cols.x; j < cols.y; j = j + 1) {
      let g = dy[((b * u.nh + i) * u.nw + j) * u.c + d];
      ${inner}
    }
  }
  dx[idx] = acc;
}`,
  };
}

/**
 * Bilinear: tfjs-webgpu's ResizeBilinearProgram taps (truncated floor, ceil clamped to the last pixel, fraction
 * from the truncated floor), and tfjs-cpu's per-corner weights (1 − fr)(1 − fc), (1 − fr)fc, fr(1 − fc), fr·fc.
 */
const bilinearProgram = program(
  `${RESIZE_BILINEAR_GRAD}WebGPU`,
  `
struct Taps { lo: vec2<i32>, hi: vec2<i32>, frac: vec2<f32> };
fn taps(rc: vec2<i32>, ratio: vec2<f32>) -> Taps {
  let src = (vec2<f32>(rc) + vec2<f32>(u.hp)) * ratio - vec2<f32>(u.hp);
  let lo = vec2<i32>(src);
  let hi = vec2<i32>(min(vec2<f32>(f32(u.h), f32(u.w)) - vec2<f32>(1.0), ceil(src)));
  return Taps(lo, hi, src - vec2<f32>(lo));
}`,
  `let t = taps(vec2<i32>(i, j), ratio);
      let fr = t.frac.x;
      let fc = t.frac.y;
      if (t.lo.x == r) {
        if (t.lo.y == c) { acc = acc + g * ((1.0 - fr) * (1.0 - fc)); }
        if (t.hi.y == c) { acc = acc + g * ((1.0 - fr) * fc); }
      }
      if (t.hi.x == r) {
        if (t.lo.y == c) { acc = acc + g * (fr * (1.0 - fc)); }
        if (t.hi.y == c) { acc = acc + g * (fr * fc); }
      }`,
);

/** Nearest: tfjs-webgpu's ResizeNearestNeighborProgram source pixel. */
const nearestProgram = program(
  `${RESIZE_NEAREST_GRAD}WebGPU`,
  `
fn source(rc: vec2<i32>, ratio: vec2<f32>) -> vec2<i32> {
  var frac = vec2<f32>(rc) * ratio;
  if (u.hp != 0.0) { frac = max((vec2<f32>(rc) + vec2<f32>(0.5)) * ratio, vec2<f32>(0.0)); }
  return vec2<i32>(min(vec2<f32>(f32(u.h), f32(u.w)) - vec2<f32>(1.0), floor(frac + vec2<f32>(u.roundBase))));
}`,
  `let s = source(vec2<i32>(i, j), ratio);
      if (s.x == r && s.y == c) { acc = acc + g; }`,
);

function kernel(prog: LelProgram, nearest: boolean): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    if (!isWebGPU(backend)) throw new Error(`${prog.name}: webgpu only`);
    const { images, dy } = inputs as { images: tf.TensorInfo; dy: tf.TensorInfo };
    const { alignCorners, halfPixelCenters } = attrs as unknown as { alignCorners?: boolean; halfPixelCenters?: boolean };
    const [n, h, w, c] = images.shape as [number, number, number, number];
    const [, nh, nw] = dy.shape as [number, number, number];
    // Nothing flows back through an empty output: zeros, as the cpu kernel.
    if (nh * nw === 0) return backend.makeTensorInfo(images.shape, 'float32', new Float32Array(n * h * w * c));
    const dx = makeOutput(backend, images.shape);
    if (n * h * w * c === 0) return dx;
    const adjH = alignCorners && nh > 1 ? 1 : 0;
    const adjW = alignCorners && nw > 1 ? 1 : 0;
    const hp = halfPixelCenters ? 0.5 : 0;
    // Window bounds only (the taps themselves use the shader's own ratio): dy indices per dx index.
    const inv = (size: number, newSize: number, adj: number) => (size - adj === 0 ? 0 : (newSize - adj) / (size - adj));
    // Where a dy index's taps lie relative to its (i + hp)·ratio − hp: bilinear reaches its floor and floor + 1;
    // nearest reaches floor(· + hp + roundBase), roundBase 0.5 with alignCorners.
    const roundBase = alignCorners ? 0.5 : 0;
    const [lo, hi] = nearest ? [hp + roundBase - 1, hp + roundBase] : [-1, 1];
    const u = uniforms([
      ['i32', n], ['i32', h], ['i32', w], ['i32', c], ['i32', nh], ['i32', nw],
      ['f32', adjH], ['f32', adjW], ['f32', hp], ['f32', inv(h, nh, adjH)], ['f32', inv(w, nw, adjW)], ['f32', lo], ['f32', hi], ['f32', roundBase],
    ]);
    return runLelProgram(backend, { ...prog, workgroups: [Math.ceil((n * h * w * c) / WG)] }, [dx], [dy], u)[0]!;
  };
}

/** Kernel configs of LEL's resize gradients on webgpu (the wasm/cpu kernels' names, so LEL's gradients reach them). */
export const resizeGradWebGPUConfigs: tf.KernelConfig[] = [
  { kernelName: RESIZE_BILINEAR_GRAD, backendName: 'webgpu', kernelFunc: kernel(bilinearProgram, false) },
  { kernelName: RESIZE_NEAREST_GRAD, backendName: 'webgpu', kernelFunc: kernel(nearestProgram, true) },
];
