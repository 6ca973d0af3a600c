import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { useBackend, type BackendName } from '../backend';
import { Rng } from '../random/rng';
import { testBackends } from '../testing/backends';
import { gradCheck } from '../testing/gradcheck';
import { expectNoLeaks } from '../testing/leaks';
import { BatchNorm2d } from './batch-norm';

for (const backend of testBackends()) {
  describe(`BatchNorm2d [${backend}]`, () => {
    beforeAll(() => useBackend(backend as BackendName));

    test('training normalises per channel and updates running stats with the unbiased variance; eval uses them', () => {
      const bn = new BatchNorm2d(2, { momentum: 0.5 });
      tf.tidy(() => {
        // channel 0: values 1..4, channel 1: constant 3.
        const x = tf.tensor4d([1, 3, 2, 3, 3, 3, 4, 3], [2, 2, 1, 2]);
        const y = bn.forward(x).dataSync();
        const s = Math.sqrt(1.25 + 1e-5);
        expect(Array.from(y).filter((_, i) => i % 2 === 0)).toEqual([-1.5 / s, -0.5 / s, 0.5 / s, 1.5 / s].map((v) => expect.closeTo(v, 5)));
        expect(Array.from(bn.runningMean.dataSync())).toEqual([1.25, 1.5]);
        // unbiased var of 1..4 = 5/3; running = 0.5·1 + 0.5·5/3
        expect(bn.runningVar.dataSync()[0]).toBeCloseTo(0.5 + 0.5 * (5 / 3), 5);
        expect(bn.runningVar.dataSync()[1]).toBeCloseTo(0.5, 6);
        bn.eval();
        const before = Array.from(bn.runningMean.dataSync());
        const ye = bn.forward(x).dataSync();
        expect(ye[0]).toBeCloseTo((1 - 1.25) / Math.sqrt(bn.runningVar.dataSync()[0]! + 1e-5), 5);
        expect(Array.from(bn.runningMean.dataSync())).toEqual(before);
      });
      expect(bn.namedBuffers().map(([n]) => n)).toEqual(['running_mean', 'running_var']);
      expect(bn.namedParameters().map(([n]) => n)).toEqual(['weight', 'bias']);
      bn.dispose();
    });

    test('training-mode gradient wrt x matches finite differences; no leaks', async () => {
      const rng = new Rng('bn');
      const bn = new BatchNorm2d(3);
      bn.weight!.assign(rng.normalTensor([3]));
      bn.bias!.assign(rng.normalTensor([3]));
      const x = rng.normalTensor([2, 3, 2, 3]);
      const probe = rng.normalTensor([2, 3, 2, 3]);
      await gradCheck((t) => tf.sum(tf.mul(bn.forward(t!), probe)) as tf.Scalar, [x], { maxElements: 36 });
      await expectNoLeaks(() => tf.variableGrads(() => tf.sum(tf.mul(bn.forward(x), probe)) as tf.Scalar), { disposeResult: true });
      tf.dispose([x, probe]);
      bn.dispose();
    });
  });
}

describe('BatchNorm2d validation', () => {
  beforeAll(() => useBackend('cpu'));
  test('bad input names the argument', () => {
    const bn = new BatchNorm2d(3);
    expect(() => bn.forward(tf.zeros([2, 2, 2, 4]))).toThrow(/x \(channels\) must have last dimension 3, got shape \[2,2,2,4\]/);
    expect(() => bn.forward(tf.zeros([2, 3]))).toThrow(/rank 4/);
    expect(() => bn.forward(tf.zeros([1, 1, 1, 3]))).toThrow(/more than 1 value per channel/);
    expect(() => new BatchNorm2d(3, { momentum: 2 })).toThrow(/momentum must be in \[0, 1\], got 2/);
    expect(new BatchNorm2d(2, { affine: false }).namedParameters()).toEqual([]);
    bn.dispose();
  });
});
