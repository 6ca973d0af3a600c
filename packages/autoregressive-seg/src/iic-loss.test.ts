import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { Rng, useBackend } from '@lel/core';
import { expectNoLeaks, gradCheck, testBackends } from '@lel/core/testing';
import { describe, expect, test } from 'vitest';
import { displacedJoint, iicLoss } from './iic-loss';

function probs(rng: Rng, shape: [number, number, number, number]): tf.Tensor4D {
  return tf.tidy(() => tf.softmax(rng.normalTensor(shape), -1)) as tf.Tensor4D;
}

describe.each(testBackends())('iicLoss [%s]', (backend) => {
  test('identical one-hot views with balanced clusters reach the minimum −ln K', async () => {
    await useBackend(backend as never);
    const labels = tf.tensor2d([[0, 1, 2, 0], [1, 2, 0, 1], [2, 0, 1, 2]], [3, 4], 'int32');
    const y = tf.cast(tf.expandDims(tf.oneHot(labels, 3), 0), 'float32') as tf.Tensor4D;
    await expectNoLeaks(() => {
      const r = iicLoss(y, y, { form: 'collapsed' });
      expect(r.loss.dataSync()[0]).toBeCloseTo(-Math.log(3), 5);
      tf.dispose([r.loss, r.joint, r.marginal]);
    });
    tf.dispose([labels, y]);
  });

  test('the joint is a normalised, symmetric distribution (the re-implementation never normalises it)', async () => {
    await useBackend(backend as never);
    const rng = new Rng(1);
    const a = probs(rng, [2, 5, 4, 3]);
    const b = probs(rng, [2, 5, 4, 3]);
    const r = iicLoss(a, b, { form: 'uncollapsed', halfT: 1 });
    const j = r.joint.arraySync() as number[][][][];
    for (const row of j) {
      for (const p of row) {
        expect(p.flat().reduce((s, v) => s + v, 0)).toBeCloseTo(1, 5);
        for (let i = 0; i < 3; i++) for (let k = 0; k < 3; k++) expect(p[i]![k]).toBeCloseTo(p[k]![i]!, 6);
      }
    }
    tf.dispose([a, b, r.loss, r.joint, r.marginal, r.perDisplacement!]);
  });

  test('displaced joint: hand-written gradient matches finite differences', async () => {
    await useBackend(backend as never);
    const rng = new Rng(2);
    const a = rng.uniformTensor([1, 3, 4, 2]);
    const b = rng.uniformTensor([1, 3, 4, 2]);
    const w = rng.normalTensor([3, 3, 2, 2]);
    await gradCheck((x, y) => tf.sum(tf.mul(displacedJoint(x, y, 1), w)), [a, b]);
    tf.dispose([a, b, w]);
  });

  test('the loss gradient flows to both views (both forms) and matches finite differences', async () => {
    await useBackend(backend as never);
    const rng = new Rng(3);
    const la = rng.normalTensor([1, 3, 3, 2]);
    const lb = rng.normalTensor([1, 3, 3, 2]);
    for (const form of ['collapsed', 'uncollapsed'] as const) {
      await gradCheck((x, y) => iicLoss(tf.softmax(x, -1), tf.softmax(y, -1), { form, halfT: 1, lambda: 1.5 }).loss, [la, lb]);
    }
    tf.dispose([la, lb]);
  });

  test('rejects bad arguments, naming them', async () => {
    await useBackend(backend as never);
    const a = tf.ones([1, 3, 3, 2]);
    const b = tf.ones([1, 3, 4, 2]);
    expect(() => iicLoss(a, b)).toThrow(/same shape/);
    expect(() => iicLoss(a, a, { halfT: 3 })).toThrow(/halfT/);
    expect(() => iicLoss(a, a, { halfT: -1 })).toThrow(/halfT/);
    expect(() => iicLoss(a, a, { lambda: -1 })).toThrow(/lambda/);
    expect(() => iicLoss(a, a, { form: 'x' as never })).toThrow(/form/);
    tf.dispose([a, b]);
  });
});
