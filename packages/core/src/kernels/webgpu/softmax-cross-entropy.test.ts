import * as tf from '@tensorflow/tfjs-core';
import { expect, test } from 'vitest';
import { crossEntropy, type CrossEntropyOptions } from '../../losses/cross-entropy';
import { gradCheck } from '../../testing/gradcheck';
import { expectNoLeaks } from '../../testing/leaks';
import { randn } from '../test-util.fixture';
import { SOFTMAX_CROSS_ENTROPY, SOFTMAX_CROSS_ENTROPY_GRAD } from './softmax-cross-entropy';
import { describeWebGPU, expectFusedMatchesOps, onWebGPU, relErr, valuesOn } from './test-util.fixture';

type Case = { name: string; lead: number[]; c: number; opts: CrossEntropyOptions };
const cases: Case[] = [
  { name: 'mean, 7 classes', lead: [3, 5], c: 7, opts: {} },
  { name: 'segmentation map, smoothing 0.1', lead: [2, 8, 8], c: 5, opts: { labelSmoothing: 0.1 } },
  { name: 'sum, 300 classes (a workgroup per row), smoothing 0.2', lead: [40], c: 300, opts: { labelSmoothing: 0.2, reduction: 'sum' } },
  { name: 'none, 1000 classes', lead: [6], c: 1000, opts: { reduction: 'none' } },
  { name: 'ignoreIndex 255', lead: [4, 9], c: 3, opts: { ignoreIndex: 255 } },
];

/** Labels in range, with every 7th position ignored. */
function labelsFor(c: Case): tf.Tensor {
  const ignore = c.opts.ignoreIndex ?? -100;
  const n = c.lead.reduce((a, b) => a * b, 1);
  return tf.tensor(Array.from({ length: n }, (_, i) => (i % 7 === 3 ? ignore : (i * 13 + 5) % c.c)), c.lead, 'int32');
}

function lossAndGrad(c: Case): tf.Tensor[] {
  const z = tf.mul(randn([...c.lead, c.c], 1), 3);
  const labels = labelsFor(c);
  const opts = { ...c.opts, validate: false };
  const w = c.opts.reduction === 'none' ? randn(c.lead, 2) : tf.scalar(1.7);
  const g = tf.grad((zz: tf.Tensor) => tf.sum(tf.mul(crossEntropy(zz, labels, opts), w)))(z);
  return [crossEntropy(z, labels, opts), g];
}

describeWebGPU('fused softmax cross-entropy forward and backward', () => {
  test.each(cases)('$name: within float32 rounding of the op-by-op loss (webgpu and cpu)', async (c) => {
    await onWebGPU();
    await expectFusedMatchesOps(() => tf.tidy(() => lossAndGrad(c)), 2e-6, (k) => (k ? 'gradient' : 'loss'));
  });

  test('a label outside [0, C) adds no (1 − e) term, as the op-by-op loss without validation', async () => {
    await onWebGPU();
    const run = () =>
      tf.tidy(() => {
        const z = randn([4, 3], 3);
        const labels = tf.tensor1d([0, 5, -1, 2], 'int32');
        const f = (zz: tf.Tensor) => crossEntropy(zz, labels, { reduction: 'none', labelSmoothing: 0.3, validate: false });
        return [f(z), tf.grad((zz: tf.Tensor) => tf.sum(f(zz)))(z)];
      });
    const fused = await valuesOn('webgpu', run);
    const cpu = await valuesOn('cpu', run);
    fused.forEach((v, k) => expect(relErr(v, cpu[k]!)).toBeLessThan(2e-6));
  });

  test('one kernel forward, one backward; no leaks; finite differences', async () => {
    await onWebGPU();
    const c = cases[1]!;
    const info = await tf.profile(() => tf.tidy(() => lossAndGrad(c)));
    expect(info.kernels.filter((k) => k.name === SOFTMAX_CROSS_ENTROPY).length).toBe(2);
    expect(info.kernels.filter((k) => k.name === SOFTMAX_CROSS_ENTROPY_GRAD).length).toBe(1);
    expect(info.kernelNames).not.toContain('Softmax');
    await expectNoLeaks(async () => {
      const z = randn([5, 4], 4);
      const labels = tf.tensor1d([0, 3, -100, 1, 2], 'int32');
      await gradCheck((zz) => crossEntropy(zz!, labels, { labelSmoothing: 0.1, validate: false }) as tf.Scalar, [z], { maxElements: 20 });
      tf.dispose([z, labels]);
    });
  });
});
