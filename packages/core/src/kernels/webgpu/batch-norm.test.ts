import * as tf from '@tensorflow/tfjs-core';
import { expect, test } from 'vitest';
import { BatchNorm2d } from '../../layers/batch-norm';
import { gradCheck } from '../../testing/gradcheck';
import { expectNoLeaks } from '../../testing/leaks';
import { randn } from '../test-util.fixture';
import { BATCH_NORM_TRAIN, BATCH_NORM_TRAIN_GRAD } from './batch-norm';
import { describeWebGPU, expectFusedMatchesOps, onWebGPU } from './test-util.fixture';

const shapes = [[2, 5, 7, 3], [4, 16, 16, 32], [1, 3, 2, 300]];

/** Output, gradients (x, γ, β) of Σ y·w, and the running statistics after one training-mode forward. */
function run(shape: number[], affine: boolean): tf.Tensor[] {
  const c = shape[3]!;
  const bn = new BatchNorm2d(c, { affine, momentum: 0.3 });
  const x = tf.add(tf.mul(randn(shape, 1), 2), 0.5);
  const w = randn(shape, 4);
  const vars = affine ? [bn.weight!.variable, bn.bias!.variable] : [];
  // Non-trivial γ, β so their gradients are checked through the kernel.
  if (affine) {
    bn.weight!.variable.assign(tf.add(tf.mul(randn([c], 2), 0.3), 1));
    bn.bias!.variable.assign(randn([c], 3));
  }
  const paramGrads = vars.length ? tf.variableGrads(() => tf.sum(tf.mul(bn.forward(x), w)) as tf.Scalar, vars).grads : {};
  const dx = tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(bn.forward(xx), w)))(x);
  const out = [bn.forward(x), dx, ...vars.map((v) => paramGrads[v.name]!), bn.runningMean.clone(), bn.runningVar.clone()];
  bn.dispose();
  return out;
}

describeWebGPU('fused training-mode BatchNorm forward and backward', () => {
  test.each(shapes.map((s) => [s.join('×'), s] as const))('%s: within float32 rounding of the op-by-op BatchNorm2d (webgpu and cpu)', async (_name, shape) => {
    await onWebGPU();
    for (const affine of [true, false]) await expectFusedMatchesOps(() => tf.tidy(() => run(shape, affine)), 5e-6, (k) => `output ${k} (affine ${affine})`);
  });

  test('one kernel forward, one backward; no leaks; finite differences', async () => {
    await onWebGPU();
    const info = await tf.profile(() => tf.tidy(() => run([2, 4, 4, 8], true)));
    expect(info.kernels.filter((k) => k.name === BATCH_NORM_TRAIN).length).toBe(3);
    expect(info.kernels.filter((k) => k.name === BATCH_NORM_TRAIN_GRAD).length).toBe(2);
    expect(info.kernelNames).not.toContain('Rsqrt');
    await expectNoLeaks(async () => {
      const bn = new BatchNorm2d(3);
      const x = randn([2, 3, 3, 3], 5);
      const w = randn([2, 3, 3, 3], 6);
      await gradCheck((xx) => tf.sum(tf.mul(bn.forward(xx!), w)) as tf.Scalar, [x], { maxElements: 16 });
      tf.dispose([x, w]);
      bn.dispose();
    });
  });
});
