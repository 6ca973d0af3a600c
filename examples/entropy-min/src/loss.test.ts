import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { crossEntropy, useBackend } from '@lel/core';
import { expectNoLeaks, gradCheck, testBackends } from '@lel/core/testing';
import { describe, expect, test } from 'vitest';
import { entropyMinLoss } from './loss';

describe.each(testBackends())('entropyMinLoss [%s]', (backend) => {
  test('weight 0 reduces to cross-entropy; confident unlabelled predictions cost ~0', async () => {
    await useBackend(backend as never);
    const l = tf.tensor2d([[2, 0, -1], [0, 1, 3]]);
    const y = tf.tensor1d([0, 2], 'int32');
    const u = tf.tensor2d([[50, 0, 0]]);
    await expectNoLeaks(() => {
      const parts = entropyMinLoss(l, y, u, 0);
      const ce = crossEntropy(l, y);
      expect(parts.total.dataSync()[0]).toBeCloseTo(ce.dataSync()[0]!, 6);
      expect(parts.unsup.dataSync()[0]).toBeLessThan(1e-6);
      tf.dispose([parts.total, parts.sup, parts.unsup, ce]);
    });
    tf.dispose([l, y, u]);
  });

  test('gradient matches finite differences through both terms', async () => {
    await useBackend(backend as never);
    const y = tf.tensor1d([1, 0], 'int32');
    const l = tf.tensor2d([[0.5, -0.25, 1], [0.1, 0.2, -0.3]]);
    const u = tf.tensor2d([[0.3, -0.7, 0.2], [1, 0.5, -1]]);
    await gradCheck((a, b) => entropyMinLoss(a, y, b, 0.5).total, [l, u]);
    tf.dispose([l, u, y]);
  });

  test('mismatched class counts are rejected', async () => {
    await useBackend(backend as never);
    const l = tf.zeros([2, 3]);
    const y = tf.tensor1d([0, 1], 'int32');
    const u = tf.zeros([2, 4]);
    expect(() => entropyMinLoss(l, y, u, 0.1)).toThrow(/4 classes/);
    tf.dispose([l, y, u]);
  });
});
