import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { useBackend, type BackendName } from '../backend';
import { Rng } from '../random/rng';
import { testBackends } from '../testing/backends';
import { gradCheck } from '../testing/gradcheck';
import { expectNoLeaks } from '../testing/leaks';
import { mse } from './mse';

for (const backend of testBackends()) {
  describe(`mse [${backend}]`, () => {
    beforeAll(() => useBackend(backend as BackendName));

    test('mean / sum / none of (a − b)²; gradients match; no leaks', async () => {
      const rng = new Rng('mse');
      const a = rng.normalTensor([2, 3, 4]);
      const b = rng.normalTensor([2, 3, 4]);
      const av = Array.from(a.dataSync());
      const bv = Array.from(b.dataSync());
      const d = av.reduce((acc, v, i) => acc + (v - bv[i]!) ** 2, 0);
      tf.tidy(() => {
        expect(mse(a, b).dataSync()[0]).toBeCloseTo(d / 24, 5);
        expect(mse(a, b, { reduction: 'sum' }).dataSync()[0]).toBeCloseTo(d, 4);
        expect(mse(a, b, { reduction: 'none' }).shape).toEqual([2, 3, 4]);
      });
      await gradCheck((x, y) => mse(x!, y!) as tf.Scalar, [a, b]);
      await expectNoLeaks(() => tf.grad((x: tf.Tensor) => mse(x, b) as tf.Scalar)(a), { disposeResult: true });
      tf.dispose([a, b]);
    });
  });
}

describe('mse validation', () => {
  beforeAll(() => useBackend('cpu'));
  test('bad input is rejected naming the argument', () => {
    const a = tf.zeros([2, 3]);
    expect(() => mse(a, a, { reduction: 'max' as never })).toThrow(/mse: reduction must be 'mean', 'sum' or 'none', got "max"/);
    expect(() => mse(a, tf.zeros([3, 2]))).toThrow(/mse: a and b must have the same shape, got \[2,3\] and \[3,2\]/);
    expect(() => mse(tf.tensor1d([NaN]), tf.tensor1d([0]))).toThrow(/mse: a contains NaN/);
  });
});
