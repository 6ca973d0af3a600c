import * as tf from '@tensorflow/tfjs-core';
import { backendValues, isWasm, type CpuLike } from './js-kernel';
import { heapOffset, lelSimdFor } from './simd/lel-simd';

/** LEL's fused Adam-update kernel (wasm and cpu). */
export const ADAM_UPDATE = 'LelAdamUpdate';

/** Scalars of one Adam update (converted to float32, as tfjs converts scalars in ops). */
export interface AdamUpdateAttrs {
  beta1: number;
  beta2: number;
  eps: number;
  /** √(1 − β2ᵗ). */
  bc2: number;
  /** lr / (1 − β1ᵗ). */
  stepSize: number;
}

/**
 * m' = m·β1 + g·(1−β1); v' = v·β2 + (g·g)·(1−β2) (without the first terms when m, v are absent: zero state);
 * p' = p − (m' / (√v' / bc2 + eps))·stepSize — each operation rounded to float32, in the order LEL's Adam
 * applies tfjs ops, so the result is bit-identical to the unfused update.
 */
export function adamUpdateValues(p: Float32Array, g: Float32Array, m: Float32Array | undefined, v: Float32Array | undefined, a: AdamUpdateAttrs, outP: Float32Array, outM: Float32Array, outV: Float32Array): void {
  const f = Math.fround;
  const b1 = f(a.beta1);
  const omb1 = f(1 - a.beta1);
  const b2 = f(a.beta2);
  const omb2 = f(1 - a.beta2);
  const bc2 = f(a.bc2);
  const eps = f(a.eps);
  const step = f(a.stepSize);
  for (let i = 0; i < p.length; i++) {
    const gi = g[i]!;
    const mi = m ? f(f(m[i]! * b1) + f(gi * omb1)) : f(gi * omb1);
    const vi = v ? f(f(v[i]! * b2) + f(f(gi * gi) * omb2)) : f(f(gi * gi) * omb2);
    outM[i] = mi;
    outV[i] = vi;
    outP[i] = f(p[i]! - f(f(mi / f(f(f(Math.sqrt(vi)) / bc2) + eps)) * step));
  }
}

const kernelFunc: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { p, g, m, v } = inputs as { p: tf.TensorInfo; g: tf.TensorInfo; m?: tf.TensorInfo; v?: tf.TensorInfo };
  const a = attrs as unknown as AdamUpdateAttrs;
  const size = p.shape.reduce((x, y) => x * y, 1);
  // Values are read after the outputs are allocated (allocating may grow, and detach, the wasm heap).
  const values = (t: tf.TensorInfo | undefined) => (t ? (backendValues(backend, t) as Float32Array) : undefined);
  if (isWasm(backend)) {
    const outs = [0, 1, 2].map(() => backend.makeOutput(p.shape, 'float32'));
    const simd = lelSimdFor(backend);
    if (simd) {
      const off = (t: tf.TensorInfo | undefined) => (t ? heapOffset(backend, t.dataId) : 0);
      const f = Math.fround;
      simd.adam_update(off(p), off(g), off(m), off(v), off(outs[0]), off(outs[1]), off(outs[2]), size, m ? 0 : 1, a.beta1, f(1 - a.beta1), a.beta2, f(1 - a.beta2), a.bc2, a.eps, a.stepSize);
    } else {
      adamUpdateValues(values(p)!, values(g)!, values(m), values(v), a, values(outs[0])!, values(outs[1])!, values(outs[2])!);
    }
    return outs;
  }
  const cpu = backend as CpuLike;
  const out = [new Float32Array(size), new Float32Array(size), new Float32Array(size)] as const;
  adamUpdateValues(values(p)!, values(g)!, values(m), values(v), a, out[0], out[1], out[2]);
  return out.map((o) => cpu.makeTensorInfo(p.shape, 'float32', o));
};

/** Kernel configs of {@link ADAM_UPDATE}. */
export const adamUpdateKernelConfigs: tf.KernelConfig[] = ['wasm', 'cpu'].map((backendName) => ({ kernelName: ADAM_UPDATE, backendName, kernelFunc }));

/**
 * The fused Adam update where LEL's kernel exists for the current backend (wasm, cpu): one pass over the
 * parameter instead of ~12 tfjs ops, with bit-identical results. Returns [p', m', v'] (float32, owned by the
 * caller), or undefined elsewhere (the caller composes tfjs ops). Inputs must be float32.
 */
export function fusedAdamUpdate(p: tf.Tensor, g: tf.Tensor, m: tf.Tensor | undefined, v: tf.Tensor | undefined, attrs: AdamUpdateAttrs): [tf.Tensor, tf.Tensor, tf.Tensor] | undefined {
  if (!tf.getKernel(ADAM_UPDATE, tf.getBackend()) || p.dtype !== 'float32' || g.dtype !== 'float32') return undefined;
  if ((m === undefined) !== (v === undefined)) return undefined;
  const inputs: tf.NamedTensorMap = m && v ? { p, g, m, v } : { p, g };
  return tf.engine().runKernel(ADAM_UPDATE, inputs, attrs as unknown as tf.NamedAttrMap) as unknown as [tf.Tensor, tf.Tensor, tf.Tensor];
}
