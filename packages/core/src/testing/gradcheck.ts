import * as tf from '@tensorflow/tfjs-core';
import { compareClose } from './golden';

/** Options of {@link gradCheck}. */
export interface GradCheckOptions {
  /** Finite-difference step (float32 needs a large one). Default 1e-2. */
  eps?: number;
  atol?: number;
  rtol?: number;
  /** Check at most this many elements per input (evenly spread). Default 24. */
  maxElements?: number;
}

/**
 * Finite-difference gradient check of a scalar function of several tensors: the analytic gradient
 * from `tf.grads` must match central differences `(f(x+h) − f(x−h)) / 2h` for sampled elements.
 * Rejects naming the input and element on mismatch. Inputs are not modified or disposed. Reads are
 * asynchronous (so it runs on every backend, webgpu included): always `await` it.
 */
export async function gradCheck(f: (...xs: tf.Tensor[]) => tf.Scalar, inputs: tf.Tensor[], options: GradCheckOptions = {}): Promise<void> {
  const eps = options.eps ?? 1e-2;
  const atol = options.atol ?? 2e-3;
  const rtol = options.rtol ?? 2e-2;
  const maxEl = options.maxElements ?? 24;
  const analytic = tf.tidy(() => tf.grads((...xs: tf.Tensor[]) => f(...xs))(inputs));
  try {
    for (const [k, x] of inputs.entries()) {
      const base = (await x.data()).slice() as Float32Array;
      const g = await analytic[k]!.data();
      const step = Math.max(1, Math.floor(base.length / maxEl));
      const num: number[] = [];
      const ana: number[] = [];
      for (let i = 0; i < base.length; i += step) {
        const evalAt = async (delta: number) => {
          const y = tf.tidy(() => {
            const b = base.slice();
            b[i] = b[i]! + delta;
            const xs = inputs.map((t, j) => (j === k ? tf.tensor(b, t.shape, t.dtype) : t));
            return f(...xs);
          });
          const v = (await y.data())[0]!;
          y.dispose();
          return v;
        };
        num.push(((await evalAt(eps)) - (await evalAt(-eps))) / (2 * eps));
        ana.push(g[i]!);
      }
      const err = compareClose(ana, num, atol, rtol);
      if (err) throw new Error(`gradCheck: input ${k} (shape [${x.shape}]) analytic vs numeric ${err}`);
    }
  } finally {
    tf.dispose(analytic);
  }
}
