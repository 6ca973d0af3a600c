import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { useBackend, type BackendName } from '../backend';
import { Rng } from '../random/rng';
import { testBackends } from '../testing/backends';
import { gradCheck } from '../testing/gradcheck';
import { softmaxMse } from './softmax-mse';

const softmaxRow = (r: number[]) => {
  const m = Math.max(...r);
  const e = r.map((v) => Math.exp(v - m));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / z);
};

for (const backend of testBackends()) {
  describe(`softmaxMse [${backend}]`, () => {
    beforeAll(() => useBackend(backend as BackendName));

    test('averages (softmax(a) − softmax(b))² over all elements; gradients match', async () => {
      const rng = new Rng('smse');
      const a = rng.normalTensor([2, 3, 4]);
      const b = rng.normalTensor([2, 3, 4]);
      const aa = (a.arraySync() as number[][][]).flat();
      const bb = (b.arraySync() as number[][][]).flat();
      let s = 0;
      aa.forEach((row, i) => softmaxRow(row).forEach((v, k) => (s += (v - softmaxRow(bb[i]!)[k]!) ** 2)));
      tf.tidy(() => {
        expect(softmaxMse(a, b).dataSync()[0]).toBeCloseTo(s / 24, 6);
        expect(softmaxMse(a, b, { reduction: 'sum' }).dataSync()[0]).toBeCloseTo(s, 5);
      });
      await gradCheck((x, y) => softmaxMse(x!, y!) as tf.Scalar, [a, b]);
      tf.dispose([a, b]);
    });
  });
}

describe('softmaxMse validation', () => {
  beforeAll(() => useBackend('cpu'));
  test('bad input is rejected naming the argument', () => {
    const a = tf.zeros([2, 3]);
    expect(() => softmaxMse(a, tf.tensor2d([[0, 0, NaN], [0, 0, 0]]))).toThrow(/softmaxMse: b contains NaN/);
  });
});
