// LEL's SIMD helper kernels, instantiated against the tfjs wasm backend's own memory (see lel-simd.wat).
import { LEL_SIMD_WASM_BASE64 } from './lel-simd-bytes';

/** The exported functions; pointers and sizes are byte offsets/counts in the tfjs-wasm heap. */
export interface LelSimd {
  /** out[j] = Σ_r x[r·cols + j] (float32, rows ≥ 1), each column summed row by row in float32. */
  colsum(x: number, rows: number, cols: number, out: number): void;
  /** For i < runs: copy `bytes` bytes from src + i·srcStride to dst + i·dstStride. */
  strided_copy(src: number, dst: number, runs: number, bytes: number, srcStride: number, dstStride: number): void;
  /** dst[c·dstStride + r] = src[r·srcStride + c] for r < rows, c < cols (float32; strides in elements). */
  transpose2d(src: number, rows: number, cols: number, srcStride: number, dst: number, dstStride: number): void;
  /** out = offset[j] + ((x − mean[j]) · scale[j]) / denom[j] over rows × cols (t in float32; divide and add in float64). */
  batch_norm(x: number, rows: number, cols: number, mean: number, scale: number, denom: number, offset: number, out: number): void;
  /** C[b] = A[b]·B[b] for b < batch (row-major [m,k]·[k,n] → [m,n], n a multiple of 4; float32). */
  gemm_batched(a: number, b: number, c: number, batch: number, m: number, k: number, n: number): void;
  /** Max-pool gradient, NHWC float32 (see lel-simd.wat); dx zeroed by the caller. */
  maxpool_grad(x: number, dy: number, dx: number, n: number, h: number, w: number, c: number, oh: number, ow: number, sh: number, sw: number, fh: number, fw: number, pt: number, pl: number): void;
  /** dx += bilinear-resize gradient of dy, taps as 16-byte {i32 lo, i32 hi, f64 frac} records (see lel-simd.wat). */
  bilinear_grad(dy: number, dx: number, n: number, h: number, w: number, c: number, nh: number, nw: number, rows: number, cols: number): void;
  /** One fused Adam update (float32, LEL's Adam op order; see lel-simd.wat); `first` = 1 when m, v are still zero. */
  adam_update(p: number, g: number, m: number, v: number, outP: number, outM: number, outV: number, size: number, first: number, b1: number, omb1: number, b2: number, omb2: number, bc2: number, eps: number, step: number): void;
  /** Stride-1 NHWC convolution of a zero-padded input [n, hp, wp, ci] with w [kh, kw, ci, co] (co % 4 = 0). */
  conv2d_s1(xp: number, n: number, hp: number, wp: number, ci: number, w: number, kh: number, kw: number, co: number, out: number, oh: number, ow: number): void;
}

/** What we need of BackendWasm (duck-typed: the wasm package is an optional peer). */
interface WasmBackendLike {
  wasm?: { asm?: { memory?: unknown } };
  dataIdMap?: { get(dataId: object): { memoryOffset: number } | undefined };
}

/** The part of the WebAssembly JS API we use (core's TypeScript lib has no DOM/wasm typings). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
  Memory: abstract new (...args: never[]) => object;
}
const wasmApi = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

let compiled: object | null | undefined;
const instances = new WeakMap<object, LelSimd>();

function compile(): object | null {
  if (compiled === undefined) {
    try {
      compiled = new wasmApi!.Module(Uint8Array.from(atob(LEL_SIMD_WASM_BASE64), (c) => c.charCodeAt(0)));
    } catch {
      // An engine without WebAssembly SIMD or bulk memory: callers fall back to their JavaScript paths.
      compiled = null;
    }
  }
  return compiled;
}

/**
 * The SIMD kernels bound to `backend`'s heap, or undefined when `backend` is not tfjs-wasm (or the
 * engine cannot compile the module): callers then use their JavaScript fallback.
 */
export function lelSimdFor(backend: unknown): LelSimd | undefined {
  const memory = (backend as WasmBackendLike).wasm?.asm?.memory;
  if (!wasmApi || !(memory instanceof wasmApi.Memory)) return undefined;
  const cached = instances.get(memory);
  if (cached) return cached;
  const mod = compile();
  if (!mod) return undefined;
  const exports = new wasmApi!.Instance(mod, { env: { memory } }).exports as unknown as LelSimd;
  instances.set(memory, exports);
  return exports;
}

/** Byte offset of a tensor's data in the tfjs-wasm heap. */
export function heapOffset(backend: unknown, dataId: object): number {
  const info = (backend as WasmBackendLike).dataIdMap?.get(dataId);
  if (!info) throw new Error('lel simd: tensor is not in the wasm backend');
  return info.memoryOffset;
}
