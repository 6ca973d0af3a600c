import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { useBackend, type BackendName } from '../backend';
import { Sequential } from '../module/module';
import { Rng } from '../random/rng';
import { testBackends } from '../testing/backends';
import { gradCheck } from '../testing/gradcheck';
import { expectNoLeaks } from '../testing/leaks';
import { GELU, Identity, LeakyReLU, ReLU, Sigmoid, Tanh, gelu, leakyRelu, relu } from './activations';

for (const backend of testBackends()) {
  describe(`activations [${backend}]`, () => {
    beforeAll(() => useBackend(backend as BackendName));

    test('values: exact-erf GELU, leaky slope 0.01 by default', () => {
      tf.tidy(() => {
        const x = tf.tensor1d([-2, -0.5, 0, 1, 3]);
        // torch.nn.functional.gelu (exact) reference values.
        const ref = [-0.0455002639, -0.1542687514, 0, 0.8413447461, 2.9959502001];
        const g = gelu(x).dataSync();
        ref.forEach((v, i) => expect(g[i]).toBeCloseTo(v, 5));
        expect(Array.from(leakyRelu(x).dataSync())).toEqual([-0.02, -0.005, 0, 1, 3].map(Math.fround));
        expect(Array.from(relu(x).dataSync())).toEqual([0, 0, 0, 1, 3]);
      });
    });

    test('gradients match finite differences; modules compose without leaks', async () => {
      const x = new Rng('act').normalTensor([3, 7]);
      const mods = [new ReLU(), new LeakyReLU(0.2), new GELU(), new Tanh(), new Sigmoid(), new Identity()];
      for (const m of mods) await gradCheck((t) => tf.sum(tf.mul(m.forward(t!), t!)) as tf.Scalar, [x]);
      const seq = new Sequential(mods);
      await expectNoLeaks(() => tf.grad((t: tf.Tensor) => tf.sum(seq.forward(t)))(x), { disposeResult: true });
      x.dispose();
    });
  });
}
