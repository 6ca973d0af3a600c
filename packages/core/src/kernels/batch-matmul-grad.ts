import * as tf from '@tensorflow/tfjs-core';
import { lelSimdFor } from './simd/lel-simd';
import { applyWasmOverrides } from './wasm-overrides';
import { simdGemmPays } from './wasm/batch-mat-mul';

/** Swap the last two axes (a no-op copy-free reshape when one of them is 1 is left to tfjs). */
function t2(x: tf.Tensor): tf.Tensor {
  const r = x.rank;
  const perm = [...Array(r).keys()];
  perm[r - 2] = r - 1;
  perm[r - 1] = r - 2;
  return tf.transpose(x, perm);
}

/** Sum a broadcast gradient back to `shape` (batch dims of matMul broadcast). */
function unbroadcast(g: tf.Tensor, shape: number[]): tf.Tensor {
  if (tf.util.arraysEqual(g.shape, shape)) return g;
  const lead = g.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.rank - 2; i++) {
    const s = i - lead;
    if (s < 0 || shape[s] === 1) axes.push(i);
  }
  return tf.reshape(axes.length ? tf.sum(g, axes) : g, shape);
}

/**
 * op(p) · op(q) with explicit transposes only (op = transpose when the flag is set), choosing the cheaper
 * of two equal forms by elements transposed: op(p)·op(q) directly, or (op(q)ᵀ · op(p)ᵀ)ᵀ. E.g. a weight
 * gradient aᵀ·dy with tall activations a [1024, 512] and dy [1024, 128] moves 196k elements as
 * (dyᵀ·a)ᵀ instead of 524k.
 */
function product(p: tf.Tensor, tp: boolean, q: tf.Tensor, tq: boolean): tf.Tensor {
  if (lelSimdFor(tf.backend())) {
    // With LEL's SIMD GEMM the product's shape matters more than the transposes (cheap SIMD copies):
    // take the form whose GEMM is the fast one, e.g. a weight gradient xᵀ·dy [128,1024]·[1024,512] as
    // (dyᵀ·x)ᵀ [512,1024]·[1024,128]. The wasm BatchMatMul kernel does the flagged transposes itself.
    const m = tp ? p.shape[p.rank - 1]! : p.shape[p.rank - 2]!;
    const k = tp ? p.shape[p.rank - 2]! : p.shape[p.rank - 1]!;
    const n = tq ? q.shape[q.rank - 2]! : q.shape[q.rank - 1]!;
    const direct = simdGemmPays(m, k, n);
    if (direct !== simdGemmPays(n, k, m)) return direct ? tf.matMul(p, q, tp, tq) : t2(tf.matMul(q, p, !tq, !tp));
  }
  const size = (t: tf.Tensor) => t.size;
  const outSize = (tp ? p.shape[p.rank - 1]! : p.shape[p.rank - 2]!) * (tq ? q.shape[q.rank - 2]! : q.shape[q.rank - 1]!) * Math.max(p.size / (p.shape[p.rank - 1]! * p.shape[p.rank - 2]!), q.size / (q.shape[q.rank - 1]! * q.shape[q.rank - 2]!));
  const direct = (tp ? size(p) : 0) + (tq ? size(q) : 0);
  const swapped = (tq ? 0 : size(q)) + (tp ? 0 : size(p)) + outSize;
  if (direct <= swapped) return tf.matMul(tp ? t2(p) : p, tq ? t2(q) : q);
  return t2(tf.matMul(tq ? q : t2(q), tp ? p : t2(p)));
}

/**
 * BatchMatMul gradient for wasm: XNNPACK's matMul is fast only without transpose flags and tfjs's
 * gradient always sets one, so transpose explicitly (choosing the cheaper side, see {@link product}) and
 * multiply plainly. Same products and sums; other backends keep tfjs's gradient. On every backend the
 * gradient of a broadcast batch dimension is summed back to the input's shape (tfjs 4.22 throws there).
 */
export function makeBatchMatMulGradConfig(original: tf.GradConfig | undefined): tf.GradConfig {
  return {
    kernelName: tf.BatchMatMul,
    inputsToSave: ['a', 'b'],
    gradFunc: (dyIn, saved, attrs) => {
      const dy = dyIn as tf.Tensor;
      const [a, b] = saved as [tf.Tensor, tf.Tensor];
      if (original && tf.getBackend() !== 'wasm') {
        // tfjs's own gradient, plus the reduction over broadcast batch dims that it forgets (it throws).
        const g = original.gradFunc(dy, saved, attrs);
        return { a: () => unbroadcast(g.a!() as tf.Tensor, a.shape), b: () => unbroadcast(g.b!() as tf.Tensor, b.shape) };
      }
      applyWasmOverrides();
      const { transposeA: tA, transposeB: tB } = attrs as unknown as tf.BatchMatMulAttrs;
      // y = op(a)·op(b): d op(a) = dy·op(b)ᵀ, d op(b) = op(a)ᵀ·dy; transposed inputs take the transpose of those.
      const da = () => (tA ? product(b, tB, dy, true) : product(dy, false, b, !tB));
      const db = () => (tB ? product(dy, true, a, tA) : product(a, !tA, dy, false));
      return { a: () => unbroadcast(da(), a.shape), b: () => unbroadcast(db(), b.shape) };
    },
  };
}
