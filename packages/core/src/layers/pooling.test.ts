import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { useBackend, type BackendName } from '../backend';
import { Rng } from '../random/rng';
import { testBackends } from '../testing/backends';
import { gradCheck } from '../testing/gradcheck';
import { expectNoLeaks, tidyAsync } from '../testing/leaks';
import { AvgPool2d, MaxPool2d, avgPool2d, globalAvgPool2d, maxPool2d } from './pooling';

/** Distinct values (no ties), so finite differences are well defined. */
function distinct(rng: Rng, shape: number[]): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = rng.permutation(n).map((i) => (i - n / 2) / 7);
  return tf.tensor(v, shape);
}

for (const backend of testBackends()) {
  describe(`pooling [${backend}]`, () => {
    beforeAll(() => useBackend(backend as BackendName));

    test('maxPool2d: values, and the gradient of all-negative windows reaches the first maximum (PyTorch routing)', () => {
      tf.tidy(() => {
        // One 2x2 window per output; window 0 all negative, window 1 has a tie (first max wins).
        const x = tf.tensor4d([-3, -1, 5, 5, -2, -4, 1, 0], [1, 2, 4, 1]);
        const y = maxPool2d(x, 2);
        expect(Array.from(y.dataSync())).toEqual([-1, 5]);
        const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(maxPool2d(t, 2), tf.tensor4d([2, 3], [1, 1, 2, 1]))))(x);
        expect(Array.from(g.dataSync())).toEqual([0, 2, 3, 0, 0, 0, 0, 0]);
      });
    });

    test('maxPool2d pads with −∞ (padding never wins) and overlapping windows accumulate', () => {
      tf.tidy(() => {
        const x = tf.tensor4d([-5, -6, -7, -8], [1, 2, 2, 1]);
        expect(Array.from(maxPool2d(x, 3, { stride: 1, padding: 1 }).dataSync())).toEqual([-5, -5, -5, -5]);
        const g = tf.grad((t: tf.Tensor) => tf.sum(maxPool2d(t, 3, { stride: 1, padding: 1 })))(x);
        expect(Array.from(g.dataSync())).toEqual([4, 0, 0, 0]);
      });
    });

    test.each([
      { k: 2, s: 2, p: 0 },
      { k: 3, s: 2, p: 1 },
      { k: 3, s: 1, p: 0 },
    ])('maxPool2d / avgPool2d gradients match finite differences (k $k, s $s, p $p)', async ({ k, s, p }) => {
      const rng = new Rng(`pool-${k}-${s}-${p}`);
      await tidyAsync(async () => {
        const x = distinct(rng, [2, 5, 5, 2]);
        const probe = rng.normalTensor(maxPool2d(x, k, { stride: s, padding: p }).shape);
        await gradCheck((t) => tf.sum(tf.mul(maxPool2d(t!, k, { stride: s, padding: p }), probe)) as tf.Scalar, [x], { eps: 1e-3, maxElements: 30 });
        await gradCheck((t) => tf.sum(tf.mul(avgPool2d(t!, k, { stride: s, padding: p }), probe)) as tf.Scalar, [x], { maxElements: 30 });
      });
    });

    test('avgPool2d counts padded zeros (count_include_pad) and globalAvgPool2d averages H, W', () => {
      tf.tidy(() => {
        const x = tf.ones([1, 2, 2, 1]);
        // Corner window of a 3x3/pad-1 pool sees 4 ones out of 9.
        expect(avgPool2d(x, 3, { stride: 1, padding: 1 }).dataSync()[0]).toBeCloseTo(4 / 9, 6);
        const z = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 2, 2]);
        expect(Array.from(globalAvgPool2d(z).dataSync())).toEqual([4, 5]);
        expect(globalAvgPool2d(z, { keepDims: true }).shape).toEqual([1, 1, 1, 2]);
      });
    });

    test('modules and no leaks', async () => {
      const x = tf.randomNormal([1, 4, 4, 2]);
      await expectNoLeaks(
        () =>
          tf.grad((t: tf.Tensor) => tf.add(tf.sum(new MaxPool2d(2).forward(t)), tf.sum(new AvgPool2d(2, 1).forward(t))))(x),
        { disposeResult: true },
      );
      expect(new MaxPool2d(2).forward(x).shape).toEqual([1, 2, 2, 2]);
      tf.dispose(x);
    });
  });
}

describe('pooling validation', () => {
  beforeAll(() => useBackend('cpu'));
  test('bad input is rejected with the argument named', () => {
    expect(() => maxPool2d(tf.zeros([4, 4, 2]), 2)).toThrow(/maxPool2d: x must have rank 4 \(NHWC\), got shape \[4,4,2\]/);
    expect(() => maxPool2d(tf.zeros([1, 4, 4, 2]), 2, { padding: 2 })).toThrow(/padding \[2,2\] must be at most half the kernel size/);
    expect(() => avgPool2d(tf.zeros([1, 2, 2, 1]), 3)).toThrow(/smaller than the kernel/);
    expect(() => avgPool2d(tf.zeros([1, 4, 4, 1], 'int32'), 2)).toThrow(/x must be float32, got int32/);
    expect(() => globalAvgPool2d(tf.zeros([2, 3]))).toThrow(/rank 4/);
  });
});
