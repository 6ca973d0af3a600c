import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { Rng, useBackend } from '@lel/core';
import { beforeAll, describe, expect, test } from 'vitest';
import { abCE } from './ab-ce';
import { consistencyTerm, unsupervisedLoss } from './consistency';
import { cctLoss } from './loss';
import { rampUpWeight } from './ramp-up';

beforeAll(async () => {
  await useBackend('cpu');
});

describe('losses', () => {
  const rng = new Rng(0);
  test('ramp-up: 30·e^-5 at t = 0, 30 from T on, 0 before the start', () => {
    expect(rampUpWeight(0, { rampupLength: 100 })).toBeCloseTo(30 * Math.exp(-5), 10);
    expect(rampUpWeight(100, { rampupLength: 100 })).toBe(30);
    expect(rampUpWeight(5, { rampupLength: 100, rampupStart: 10 })).toBe(0);
    expect(() => rampUpWeight(0, { rampupLength: -1 })).toThrow(/rampupLength/);
  });

  test('KL and JS consistency are 0 for identical predictions and positive otherwise', () => {
    tf.tidy(() => {
      const a = rng.normalTensor([1, 3, 3, 4]) as tf.Tensor4D;
      const b = rng.normalTensor([1, 3, 3, 4]) as tf.Tensor4D;
      const t = tf.softmax(a) as tf.Tensor4D;
      for (const type of ['mse', 'kl', 'js'] as const) {
        expect(consistencyTerm(a, t, { type }).dataSync()[0]).toBeLessThan(1e-5);
        expect(consistencyTerm(b, t, { type }).dataSync()[0]).toBeGreaterThan(1e-4);
      }
      expect(() => consistencyTerm(a, t, { type: 'l1' as never })).toThrow(/unknown type "l1"/);
    });
  });

  test('confidence masking keeps only pixels whose target max exceeds the threshold', () => {
    tf.tidy(() => {
      // Pixel 0 confident (target [1, 0]), pixel 1 uncertain ([0.5, 0.5]).
      const target = tf.tensor4d([1, 0, 0.5, 0.5], [1, 1, 2, 2]);
      const aux = tf.tensor4d([0, 0, 0, 0], [1, 1, 2, 2]);
      const masked = consistencyTerm(aux, target, { confidenceMasking: true, confidenceThreshold: 0.6 }).dataSync()[0]!;
      // Only pixel 0: mean of (0.5−1)², (0.5−0)² = 0.25.
      expect(masked).toBeCloseTo(0.25, 6);
      const none = consistencyTerm(aux, tf.fill([1, 1, 2, 2], 0.5) as tf.Tensor4D, { confidenceMasking: true }).dataSync()[0]!;
      expect(none).toBe(0);
    });
  });

  test('unsupervised loss rejects shape mismatches and empty lists', () => {
    tf.tidy(() => {
      const m = tf.zeros([1, 2, 2, 3]) as tf.Tensor4D;
      expect(() => unsupervisedLoss([], m)).toThrow(/no auxiliary/);
      expect(() => unsupervisedLoss([tf.zeros([1, 2, 2, 4]) as tf.Tensor4D], m)).toThrow(/shape/);
    });
  });

  test('ABCE is differentiable w.r.t. the logits and reaches plain CE on hard pixels at the end of the schedule', () => {
    tf.tidy(() => {
      const logits = rng.normalTensor([1, 4, 4, 3]) as tf.Tensor4D;
      const labels = tf.tensor3d(Array.from({ length: 16 }, (_, i) => i % 3), [1, 4, 4], 'int32');
      const g = tf.grad((l: tf.Tensor) => abCE(l as tf.Tensor4D, labels, { t: 10, totalIters: 10 }).loss)(logits);
      expect(tf.sum(tf.abs(g)).dataSync()[0]).toBeGreaterThan(0);
      expect(abCE(logits, labels, { t: 10, totalIters: 10 }).tau).toBeCloseTo(1 / 3 + (0.9 - 1 / 3) * (1 - Math.exp(-5)), 10);
    });
  });

  test('weak term: weight (w_u/30)·0.4 on the auxiliary decoders, pseudo-labels without aux is an error', () => {
    tf.tidy(() => {
      const sup = rng.normalTensor([1, 2, 2, 3]) as tf.Tensor4D;
      const labels = tf.tensor3d([0, 1, 2, 0], [1, 2, 2], 'int32');
      const aux = [rng.normalTensor([1, 2, 2, 3]) as tf.Tensor4D];
      const pseudo = tf.tensor3d([1, 255, 255, 0], [1, 2, 2], 'int32');
      const p = cctLoss({ supLogits: sup, labels, unsupMainLogits: sup, auxLogits: aux, weightU: 15, pseudoLabels: pseudo });
      expect(p.weakWeight).toBeCloseTo(0.2, 10);
      expect(p.weak.dataSync()[0]).toBeGreaterThan(0);
      expect(() => cctLoss({ supLogits: sup, labels, weightU: 15, pseudoLabels: pseudo })).toThrow(/auxiliary/);
      expect(() => cctLoss({ supLogits: sup, labels, weightU: 1 }, { supLoss: 'focal' as never })).toThrow(/unknown supLoss/);
    });
  });
});
