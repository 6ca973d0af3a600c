import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { useBackend } from '@lel/core';
import { expectNoLeaks } from '@lel/core/testing';
import { labelSmoothingCrossEntropy } from './label-smoothing';
import { annealedBeta, confidencePenaltyLoss } from './confidence-penalty';
import { ensembleSoftTargets } from './ensemble';

beforeAll(async () => {
  await useBackend('cpu');
});

describe('labelSmoothingCrossEntropy', () => {
  test('total = (1 − ε)·hard + ε·soft, and ε = 0 is plain CE', () => {
    tf.tidy(() => {
      const z = tf.tensor2d([[2, 0, -1], [0.5, 0.5, 3]]);
      const y = tf.tensor1d([0, 2], 'int32');
      const r = labelSmoothingCrossEntropy(z, y, { epsilon: 0.2 });
      const [tot, h, s] = [r.total, r.hard, r.soft].map((t) => t.dataSync()[0]!);
      expect(tot).toBeCloseTo(0.8 * h! + 0.2 * s!, 6);
      expect(labelSmoothingCrossEntropy(z, y, { epsilon: 0 }).total.dataSync()[0]).toBeCloseTo(h!, 6);
      expect(() => labelSmoothingCrossEntropy(z, y, { epsilon: 1.2 })).toThrow(/epsilon/);
    });
  });
});

describe('confidencePenaltyLoss', () => {
  test('the thresholded form leaves uncertain samples alone', () => {
    tf.tidy(() => {
      // Row 0 uniform (H = log 3 ≈ 1.10 > Γ), row 1 confident (H ≈ 0).
      const z = tf.tensor2d([[0, 0, 0], [20, 0, 0]]);
      const y = tf.tensor1d([0, 0], 'int32');
      const r = confidencePenaltyLoss(z, y, { beta: 1, threshold: 1 });
      const H = r.entropy.dataSync();
      expect(H[0]).toBeCloseTo(Math.log(3), 5);
      expect(H[1]).toBeLessThan(1e-6);
      expect(r.soft.dataSync()[0]).toBeCloseTo((0 + (1 - H[1]!)) / 2, 5);
      const plain = confidencePenaltyLoss(z, y, { beta: 1 });
      expect(plain.soft.dataSync()[0]).toBeCloseTo(-(H[0]! + H[1]!) / 2, 5);
    });
  });

  test('annealedBeta ramps from → to and then holds', () => {
    const a = { from: 0, to: 1, steps: 10 };
    expect(annealedBeta(0, a)).toBe(0);
    expect(annealedBeta(5, a)).toBeCloseTo(0.5);
    expect(annealedBeta(50, a)).toBe(1);
    expect(annealedBeta(5, { ...a, strategy: 'cos' })).toBeCloseTo(0.5);
    expect(annealedBeta(2, { ...a, strategy: 'cos' })).toBeLessThan(0.2);
  });

  test('no leaks', async () => {
    const z = tf.randomNormal([5, 4]);
    const y = tf.tensor1d([0, 1, 2, 3, 0], 'int32');
    await expectNoLeaks(() => confidencePenaltyLoss(z, y, { beta: 0.3, threshold: 0.5 }), { disposeResult: true });
    await expectNoLeaks(() => labelSmoothingCrossEntropy(z, y), { disposeResult: true });
    tf.dispose([z, y]);
  });
});

describe('ensembleSoftTargets', () => {
  test('one teacher gives its own softened distribution; mismatched teachers are refused', () => {
    tf.tidy(() => {
      const t = tf.tensor2d([[1, 2, 3]]);
      const p = ensembleSoftTargets([t], 2).dataSync();
      const e = [1, 2, 3].map((v) => Math.exp(v / 2));
      const sum = e.reduce((a, b) => a + b);
      e.forEach((v, i) => expect(p[i]).toBeCloseTo(v / sum, 6));
      expect(() => ensembleSoftTargets([t, tf.zeros([1, 4])], 1)).toThrow(/class-count mismatch between teachers/);
      expect(() => ensembleSoftTargets(t, 1)).toThrow(/\[teachers, batch, classes\]/);
      expect(() => ensembleSoftTargets([t], 0)).toThrow(/temperature/);
    });
  });
});
