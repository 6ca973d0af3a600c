import * as tf from '@tensorflow/tfjs-core';
import { expect, test } from 'vitest';
import { layerNorm } from '../../layers/layer-norm';
import { gradCheck } from '../../testing/gradcheck';
import { expectNoLeaks } from '../../testing/leaks';
import { randn } from '../test-util.fixture';
import { LAYER_NORM, LAYER_NORM_GRAD } from './layer-norm';
import { describeWebGPU, expectFusedMatchesOps, onWebGPU } from './test-util.fixture';

const shapes = [[4, 7, 33], [300, 256], [2, 5], [3, 1000]];

/** y and the gradients of Σ y·w with respect to x, γ and β. */
function forwardBackward(shape: number[], affine: boolean): tf.Tensor[] {
  const d = shape[shape.length - 1]!;
  const x = tf.add(tf.mul(randn(shape, 1), 2), 0.5);
  const g = tf.add(tf.mul(randn([d], 2), 0.3), 1);
  const b = randn([d], 3);
  const w = randn(shape, 4);
  if (!affine) return [layerNorm(x, null, null, 1e-5), tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(layerNorm(xx, null, null, 1e-5), w)))(x)];
  const grads = tf.grads((xx: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(layerNorm(xx, gg, bb, 1e-5), w)) as tf.Scalar)([x, g, b]);
  return [layerNorm(x, g, b, 1e-5), ...grads];
}

describeWebGPU('fused LayerNorm forward and backward', () => {
  test.each(shapes.map((s) => [s.join('×'), s] as const))('%s: within float32 rounding of the op-by-op LayerNorm (webgpu and cpu)', async (_name, shape) => {
    await onWebGPU();
    for (const affine of [true, false]) await expectFusedMatchesOps(() => tf.tidy(() => forwardBackward(shape, affine)), 2e-6, (k) => `output ${k} (affine ${affine})`);
  });

  test('one kernel forward, one backward; no leaks; finite differences', async () => {
    await onWebGPU();
    const info = await tf.profile(() => tf.tidy(() => forwardBackward([6, 16], true)));
    expect(info.kernels.filter((k) => k.name === LAYER_NORM).length).toBe(2);
    expect(info.kernels.filter((k) => k.name === LAYER_NORM_GRAD).length).toBe(1);
    expect(info.kernelNames).not.toContain('Rsqrt');
    await expectNoLeaks(async () => {
      const x = randn([3, 8], 5);
      const g = randn([8], 6);
      const b = randn([8], 7);
      const w = randn([3, 8], 8);
      await gradCheck((xx, gg, bb) => tf.sum(tf.mul(layerNorm(xx!, gg!, bb!), w)) as tf.Scalar, [x, g, b], { maxElements: 12 });
      tf.dispose([x, g, b, w]);
    });
  });
});
