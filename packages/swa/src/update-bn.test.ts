import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { useBackend } from '@lel/core';
import { expectNoLeaks } from '@lel/core/testing';
import { updateBn } from './update-bn';
import { LnNet, TestNet } from './test-models.fixture';

beforeAll(async () => {
  await useBackend('cpu');
});

describe('updateBn', () => {
  test('recomputes the statistics of the layer input, keeps parameters and modes, and restores forward', async () => {
    const model = new TestNet();
    model.eval();
    const batches = [0, 1, 2].map((k) => tf.randomNormal([6, 4], 0, 1, 'float32', k));
    const params = model.namedParameters().map(([n, p]) => [n, Array.from(p.variable.dataSync())] as const);
    const report = await updateBn(model, batches);
    expect(report).toEqual({ layers: ['body.bn'], batches: 3 });
    // Reference: the hidden activations seen by the BatchNorm, per batch, averaged.
    const ref = tf.tidy(() => {
      const per = batches.map((b) => {
        const h = model.fc1.forward(b);
        const { mean, variance } = tf.moments(h, [0]);
        return [mean, tf.mul(variance, 6 / 5)] as const;
      });
      return [tf.div(tf.addN(per.map((p) => p[0])), 3), tf.div(tf.addN(per.map((p) => p[1])), 3)];
    });
    const [m, v] = ref as [tf.Tensor, tf.Tensor];
    Array.from(m.dataSync()).forEach((x, i) => expect(model.body.bn.runningMean.dataSync()[i]).toBeCloseTo(x, 5));
    Array.from(v.dataSync()).forEach((x, i) => expect(model.body.bn.runningVar.dataSync()[i]).toBeCloseTo(x, 5));
    expect(model.training).toBe(false);
    expect(model.body.bn.training).toBe(false);
    for (const [n, values] of params) expect(Array.from(model.getParameter(n).variable.dataSync())).toEqual(values);
    expect(Object.prototype.hasOwnProperty.call(model.body.bn, 'forward')).toBe(false);
    tf.dispose([m, v, ...batches]);
    model.dispose();
  });

  test('is a no-op with a clear note for LayerNorm models', async () => {
    const model = new LnNet();
    const x = tf.zeros([2, 4]);
    const report = await updateBn(model, [x]);
    expect(report.layers).toEqual([]);
    expect(report.note).toMatch(/no BatchNorm.*LayerNorm/);
    x.dispose();
    model.dispose();
  });

  test('custom batches go through options.forward; an empty pass is an error; no leaks', async () => {
    const model = new TestNet();
    const batches = [{ x: tf.randomNormal([4, 4], 0, 1, 'float32', 3), y: 1 }];
    await expectNoLeaks(() => updateBn(model, batches, { forward: (m, b) => (m as TestNet).forward(b.x) }));
    await expect(updateBn(model, [])).rejects.toThrow(/no batches/);
    await expect(updateBn(model, [{ x: batches[0]!.x }])).rejects.toThrow(/options.forward/);
    tf.dispose(batches[0]!.x);
    model.dispose();
  });
});
