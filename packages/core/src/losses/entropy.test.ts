import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { useBackend, type BackendName } from '../backend';
import { Rng } from '../random/rng';
import { testBackends } from '../testing/backends';
import { gradCheck } from '../testing/gradcheck';
import { expectNoLeaks } from '../testing/leaks';
import { entropy } from './entropy';

for (const backend of testBackends()) {
  describe(`entropy [${backend}]`, () => {
    beforeAll(() => useBackend(backend as BackendName));

    test('entropy: per position −Σ p ln p, finite for saturated logits, gradient matches', async () => {
      tf.tidy(() => {
        const { loss, perPosition } = entropy(tf.tensor2d([[0, 0, 0, 0], [200, -200, 0, 0]]));
        expect(perPosition.dataSync()[0]).toBeCloseTo(Math.log(4), 5);
        expect(perPosition.dataSync()[1]).toBeCloseTo(0, 5);
        expect(loss.dataSync()[0]).toBeCloseTo(Math.log(4) / 2, 5);
        const g = tf.grad((t: tf.Tensor) => entropy(t).loss)(tf.tensor2d([[300, -300, 0]]));
        expect(Array.from(g.dataSync()).every(Number.isFinite)).toBe(true);
      });
      const x = new Rng('ent').normalTensor([2, 3, 5]);
      await gradCheck((t) => entropy(t!).loss, [x]);
      await expectNoLeaks(() => entropy(x), { disposeResult: true });
      x.dispose();
    });
  });
}

describe('entropy validation', () => {
  beforeAll(() => useBackend('cpu'));
  test('bad input is rejected naming the argument', () => {
    expect(() => entropy(tf.zeros([2, 3], 'int32'))).toThrow(/entropy: logits must be float32, got int32/);
  });
});
