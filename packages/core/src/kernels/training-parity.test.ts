import * as tf from '@tensorflow/tfjs-core';
import { expect, test } from 'vitest';
import { useBackend } from '../backend';
import { compareClose } from '../testing/golden';
import { testBackends } from '../testing/backends';
import { registerLelKernels } from './register';

/**
 * A miniature of the benchmark seg net and transformer block (conv + batch-norm + ReLU, max-pool,
 * half-pixel bilinear upsampling, skip concat, embedding gather, attention matMuls with explicit and flagged
 * transposes, bias adds): the gradients of all parameters must agree across backends, i.e. LEL's wasm
 * kernels and gradients compose to the same training signal as tfjs-cpu.
 */
function gradients(): Float32Array[] {
  return tf.tidy(() => {
    const r = (shape: number[], seed: number) => tf.randomNormal(shape, 0, 1, 'float32', seed);
    const x = r([2, 8, 8, 3], 1);
    const w1 = r([3, 3, 3, 4], 2);
    const w2 = r([3, 3, 4, 4], 3);
    const head = r([1, 1, 8, 3], 4);
    const gamma = tf.add(r([4], 5), 1);
    const emb = r([10, 6], 6);
    const wq = r([6, 6], 7);
    const beta = r([4], 8);
    const ids = tf.tensor1d([1, 3, 3, 7, 0, 9, 2, 2], 'int32');
    const f = (w1v: tf.Tensor, w2v: tf.Tensor, hv: tf.Tensor, g: tf.Tensor, e: tf.Tensor, q: tf.Tensor) => {
      const c1 = tf.conv2d(x as tf.Tensor4D, w1v as tf.Tensor4D, 1, 'same');
      const { mean, variance } = tf.moments(c1, [0, 1, 2]);
      const a1 = tf.relu(tf.batchNorm(c1, mean, variance, beta, g, 1e-5)) as tf.Tensor4D;
      const a2 = tf.relu(tf.conv2d(tf.maxPool(a1, 2, 2, 'valid'), w2v as tf.Tensor4D, 1, 'same')) as tf.Tensor4D;
      const up = tf.image.resizeBilinear(a2, [8, 8], false, true);
      const seg = tf.conv2d(tf.concat([up, a1], 3), hv as tf.Tensor4D, 1, 'valid');
      const h = tf.reshape(tf.gather(e, ids), [2, 4, 6]);
      const qh = tf.matMul(h, q);
      const att = tf.softmax(tf.matMul(qh, h, false, true));
      const tx = tf.matMul(att, tf.transpose(tf.matMul(tf.transpose(h, [0, 2, 1]), att, false, false), [0, 2, 1]));
      return tf.add(tf.mean(tf.square(seg)), tf.mean(tf.square(tx))) as tf.Scalar;
    };
    const g = tf.grads(f)([w1, w2, head, gamma, emb, wq]);
    return g.map((t) => t.dataSync().slice() as Float32Array);
  });
}

test('a small seg + attention model has the same gradients on every backend', async () => {
  const backends = testBackends().filter((b) => b === 'wasm' || b === 'cpu');
  if (backends.length < 2) return; // nothing to compare against
  const results: Float32Array[][] = [];
  for (const b of backends) {
    registerLelKernels();
    await useBackend(b as never);
    registerLelKernels();
    results.push(gradients());
  }
  results[0]!.forEach((g, i) => expect(compareClose(g, results[1]![i]!, 1e-4, 1e-3), `parameter ${i}`).toBeNull());
});
