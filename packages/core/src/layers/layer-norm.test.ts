import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { useBackend, type BackendName } from '../backend';
import { Rng } from '../random/rng';
import { testBackends } from '../testing/backends';
import { gradCheck } from '../testing/gradcheck';
import { expectNoLeaks } from '../testing/leaks';
import { LayerNorm, layerNorm } from './layer-norm';

for (const backend of testBackends()) {
  describe(`LayerNorm [${backend}]`, () => {
    beforeAll(() => useBackend(backend as BackendName));

    test('normalises the last axis; gradients in x, γ, β; no leaks', async () => {
      const rng = new Rng('ln');
      const x = rng.normalTensor([2, 3, 5]);
      const g = rng.normalTensor([5]);
      const b = rng.normalTensor([5]);
      tf.tidy(() => {
        const y = new LayerNorm(5).forward(x);
        const m = tf.mean(y, -1).dataSync();
        m.forEach((v) => expect(v).toBeCloseTo(0, 5));
        expect(tf.mean(tf.square(y), -1).dataSync()[0]).toBeCloseTo(1, 3);
      });
      const probe = rng.normalTensor([2, 3, 5]);
      await gradCheck((xx, gg, bb) => tf.sum(tf.mul(layerNorm(xx!, gg!, bb!, 1e-5), probe)) as tf.Scalar, [x, g, b]);
      const ln = new LayerNorm(5, { eps: 1e-12 });
      await expectNoLeaks(() => tf.variableGrads(() => tf.sum(tf.mul(ln.forward(x), probe)) as tf.Scalar), { disposeResult: true });
      expect(() => ln.forward(tf.zeros([2, 4]))).toThrow(/LayerNorm: x must have last dimension 5, got shape \[2,4\]/);
      expect(() => layerNorm(x, tf.ones([4]), null)).toThrow(/gamma must be \[5\], got shape \[4\]/);
      ln.dispose();
      tf.dispose([x, g, b, probe]);
    });
  });
}
