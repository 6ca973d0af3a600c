import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { useBackend, type BackendName } from '../backend';
import { Rng } from '../random/rng';
import { testBackends } from '../testing/backends';
import { gradCheck } from '../testing/gradcheck';
import { binaryCrossEntropyWithLogits } from './binary-cross-entropy';

for (const backend of testBackends()) {
  describe(`binaryCrossEntropyWithLogits [${backend}]`, () => {
    beforeAll(() => useBackend(backend as BackendName));

    test('binaryCrossEntropyWithLogits: stable form equals the naive one, pos_weight, gradients', async () => {
      const rng = new Rng('bce');
      const x = rng.normalTensor([3, 4], 0, 2);
      const t = rng.uniformTensor([3, 4]);
      const xs = Array.from(x.dataSync());
      const ts = Array.from(t.dataSync());
      const naive = (pw: number) =>
        xs.reduce((acc, v, i) => {
          const s = 1 / (1 + Math.exp(-v));
          return acc - (pw * ts[i]! * Math.log(s) + (1 - ts[i]!) * Math.log(1 - s));
        }, 0) / xs.length;
      tf.tidy(() => {
        expect(binaryCrossEntropyWithLogits(x, t).dataSync()[0]).toBeCloseTo(naive(1), 5);
        expect(binaryCrossEntropyWithLogits(x, t, { posWeight: 3 }).dataSync()[0]).toBeCloseTo(naive(3), 5);
        expect(binaryCrossEntropyWithLogits(tf.tensor1d([100, -100]), tf.tensor1d([1, 0])).dataSync()[0]).toBeCloseTo(0, 6);
      });
      await gradCheck((a) => binaryCrossEntropyWithLogits(a!, t, { posWeight: 2 }) as tf.Scalar, [x]);
      tf.dispose([x, t]);
    });
  });
}

describe('binaryCrossEntropyWithLogits validation', () => {
  beforeAll(() => useBackend('cpu'));
  test('bad input is rejected naming the argument', () => {
    const a = tf.zeros([2, 3]);
    expect(() => binaryCrossEntropyWithLogits(a, tf.zeros([3, 2]))).toThrow(/logits and targets must have the same shape/);
  });
});
