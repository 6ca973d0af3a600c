import * as tf from '@tensorflow/tfjs-core';
import { isWebGPU, type WebGPUBackendLike } from '../../webgpu/gpu-types';
import { ENTRY_BUILTINS, WORKGROUP_INDEX, makeOutput, runLelProgram, uniforms, type LelProgram } from './program';
import { sumSplitsInto } from './sum-splits';

// Output tile 64 (filter rows k = (i·kw + j)·ci + c) × 64 (output channels), 16 reduction rows per step,
// 256 threads each accumulating a 4 × 4 block.
const TILE = 64;
const STEP = 16;
/** Upper bound on the split-K partial sums buffer (floats): 16 MiB. */
const MAX_PARTIAL = 4 * 2 ** 20;
/** Enough workgroups to fill a large GPU. */
const TARGET_WORKGROUPS = 1024;
/** Reduction rows per split, at least (so splitting never dominates). */
const MIN_ROWS_PER_SPLIT = 1024;

const gemmProgram: LelProgram = {
  name: 'LelConv2DBackpropFilterGemm',
  key: 'LelConv2DBackpropFilterGemm',
  workgroups: [1],
  wgsl: () => `
struct U { R: i32, K: i32, Co: i32, rowsPerSplit: i32, splits: i32, tilesK: i32, tilesO: i32,
  H: i32, W: i32, Ci: i32, OH: i32, OW: i32, KW: i32, SH: i32, SW: i32, DH: i32, DW: i32, PT: i32, PL: i32 };
@group(0) @binding(0) var<storage, read_write> result: array<f32>;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<uniform> u: U;
var<workgroup> As: array<f32, ${STEP * TILE}>;
var<workgroup> Bs: array<f32, ${STEP * TILE}>;

// im2col(x)[r, k] without materialising it: r = (n, oy, ox), k = (i, j, c); zero outside the padded input.
fn im2colAt(r: i32, k: i32) -> f32 {
  let ohw = u.OH * u.OW;
  let n = r / ohw;
  let rem = r - n * ohw;
  let oy = rem / u.OW;
  let ox = rem - oy * u.OW;
  let ij = k / u.Ci;
  let c = k - ij * u.Ci;
  let i = ij / u.KW;
  let j = ij - i * u.KW;
  let iy = oy * u.SH - u.PT + i * u.DH;
  let ix = ox * u.SW - u.PL + j * u.DW;
  if (iy < 0 || iy >= u.H || ix < 0 || ix >= u.W) { return 0.0; }
  return x[((n * u.H + iy) * u.W + ix) * u.Ci + c];
}

@compute @workgroup_size(256)
fn main(${ENTRY_BUILTINS}) {
  let w = i32(${WORKGROUP_INDEX});
  let tiles = u.tilesK * u.tilesO;
  let split = w / tiles;
  if (split >= u.splits) { return; }
  let tile = w - split * tiles;
  let k0 = (tile % u.tilesK) * ${TILE};
  let o0 = (tile / u.tilesK) * ${TILE};
  let rStart = split * u.rowsPerSplit;
  let rEnd = min(rStart + u.rowsPerSplit, u.R);
  let t = i32(lid);
  let tx = t % 16;
  let ty = t / 16;
  var acc: array<f32, 16>;
  for (var r0 = rStart; r0 < rEnd; r0 = r0 + ${STEP}) {
    for (var q = 0; q < ${(STEP * TILE) / 256}; q = q + 1) {
      let e = t + q * 256;
      let rr = r0 + e / ${TILE};
      let col = e % ${TILE};
      var a = 0.0;
      var b = 0.0;
      if (rr < rEnd) {
        if (k0 + col < u.K) { a = im2colAt(rr, k0 + col); }
        if (o0 + col < u.Co) { b = dy[rr * u.Co + o0 + col]; }
      }
      As[e] = a;
      Bs[e] = b;
    }
    workgroupBarrier();
    for (var s = 0; s < ${STEP}; s = s + 1) {
      let av = vec4<f32>(As[s * ${TILE} + ty * 4], As[s * ${TILE} + ty * 4 + 1], As[s * ${TILE} + ty * 4 + 2], As[s * ${TILE} + ty * 4 + 3]);
      let bv = vec4<f32>(Bs[s * ${TILE} + tx * 4], Bs[s * ${TILE} + tx * 4 + 1], Bs[s * ${TILE} + tx * 4 + 2], Bs[s * ${TILE} + tx * 4 + 3]);
      for (var i = 0; i < 4; i = i + 1) {
        for (var j = 0; j < 4; j = j + 1) { acc[i * 4 + j] = fma(av[i], bv[j], acc[i * 4 + j]); }
      }
    }
    workgroupBarrier();
  }
  let base = split * u.K * u.Co;
  for (var i = 0; i < 4; i = i + 1) {
    let k = k0 + ty * 4 + i;
    if (k >= u.K) { continue; }
    for (var j = 0; j < 4; j = j + 1) {
      let o = o0 + tx * 4 + j;
      if (o < u.Co) { result[base + k * u.Co + o] = acc[i * 4 + j]; }
    }
  }
}`,
};

/** How the reduction over N·outH·outW rows is split across workgroups. */
export function conv2dFilterSplits(rows: number, k: number, co: number): { splits: number; rowsPerSplit: number } {
  const tiles = Math.ceil(k / TILE) * Math.ceil(co / TILE);
  let splits = Math.max(1, Math.min(Math.ceil(TARGET_WORKGROUPS / tiles), Math.floor(rows / MIN_ROWS_PER_SPLIT), Math.floor(MAX_PARTIAL / (k * co))));
  const rowsPerSplit = Math.ceil(rows / splits / STEP) * STEP;
  splits = Math.ceil(rows / rowsPerSplit);
  return { splits, rowsPerSplit };
}

/**
 * dW of an NHWC conv2d on WebGPU as one tiled GEMM over the implicit im2col matrix, dW = im2col(x)ᵀ · dy
 * (K = kh·kw·ci rows, co columns, reduced over N·outH·outW), split over the reduction dimension so a large
 * batch fills the GPU, then one pass summing the splits. Any stride, padding and dilation.
 * tfjs-webgpu's own kernel gives each filter element one thread that loops over the whole batch
 * (96% of a 256×256 segmentation step on an H200).
 */
export function conv2dBackpropFilterWebGPU(backend: WebGPUBackendLike, x: tf.TensorInfo, dy: tf.TensorInfo, info: tf.backend_util.Conv2DInfo): tf.TensorInfo {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outChannels: co, outHeight: oh, outWidth: ow } = info;
  const [kh, kw] = [info.filterHeight, info.filterWidth];
  const k = kh * kw * ci;
  const rows = n * oh * ow;
  // Nothing to sum (empty batch or filter): zeros, as the stock kernel returns.
  if (rows === 0 || k * co === 0) return backend.makeTensorInfo([kh, kw, ci, co], 'float32', new Float32Array(k * co));
  const out = makeOutput(backend, [kh, kw, ci, co]);
  const { splits, rowsPerSplit } = conv2dFilterSplits(rows, k, co);
  const tilesK = Math.ceil(k / TILE);
  const tilesO = Math.ceil(co / TILE);
  const u = uniforms([
    ['i32', rows], ['i32', k], ['i32', co], ['i32', rowsPerSplit], ['i32', splits], ['i32', tilesK], ['i32', tilesO],
    ['i32', h], ['i32', w], ['i32', ci], ['i32', oh], ['i32', ow], ['i32', kw],
    ['i32', info.strideHeight], ['i32', info.strideWidth], ['i32', info.dilationHeight], ['i32', info.dilationWidth],
    ['i32', info.padInfo.top], ['i32', info.padInfo.left],
  ]);
  const gemm = { ...gemmProgram, workgroups: [tilesK * tilesO * splits] as [number] };
  if (splits === 1) return runLelProgram(backend, gemm, [out], [x, dy], u)[0]!;
  const partial = makeOutput(backend, [splits, k, co]);
  runLelProgram(backend, gemm, [partial], [x, dy], u);
  sumSplitsInto(backend, partial, splits, k * co, out);
  backend.disposeData(partial.dataId);
  return out;
}

/** Registered over tfjs-webgpu's Conv2DBackpropFilter (NHWC; NCHW goes to the stock kernel). */
export function makeConv2dBackpropFilterWebGPUConfig(stock: tf.KernelFunc | undefined): tf.KernelConfig {
  return {
    kernelName: tf.Conv2DBackpropFilter,
    backendName: 'webgpu',
    kernelFunc: (args) => {
      const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
      const a = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs & { dilations?: [number, number] | number };
      if (a.dataFormat === 'NCHW' || !isWebGPU(args.backend)) {
        if (!stock) throw new Error('Conv2DBackpropFilter (LEL webgpu kernel): NCHW needs tfjs-webgpu\'s kernel');
        return stock(args);
      }
      const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], a.filterShape, a.strides, a.dilations ?? 1, a.pad, a.dimRoundingMode);
      return conv2dBackpropFilterWebGPU(args.backend, x, dy, info);
    },
  };
}
