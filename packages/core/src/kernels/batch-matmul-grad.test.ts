import * as tf from '@tensorflow/tfjs-core';
import { test } from 'vitest';
import { gradCheck } from '../testing/gradcheck';
import { expectNoLeaks } from '../testing/leaks';
import { describeEachBackend, onBackend, randn } from './test-util.fixture';

const cases = [
  { name: '2-D plain', a: [3, 4], b: [4, 5], ta: false, tb: false },
  { name: '2-D transposeB', a: [3, 4], b: [5, 4], ta: false, tb: true },
  { name: '3-D transposeA', a: [2, 4, 3], b: [2, 4, 5], ta: true, tb: false },
  { name: '3-D both', a: [2, 4, 3], b: [2, 5, 4], ta: true, tb: true },
  { name: 'broadcast batch', a: [2, 3, 4], b: [4, 5], ta: false, tb: false },
  { name: 'broadcast batch of 1', a: [1, 3, 4], b: [2, 4, 5], ta: false, tb: false },
  { name: "tall a (transposed-form gradient)", a: [40, 3], b: [3, 2], ta: false, tb: false },
  { name: "tall a, transposeA", a: [3, 40], b: [3, 2], ta: true, tb: false },
];

describeEachBackend('matMul gradient', (backend) => {
  test.each(cases)('$name matches finite differences', async (c) => {
    await onBackend(backend);
    await expectNoLeaks(async () => {
      const a = randn(c.a, 1);
      const b = randn(c.b, 2);
      const r = tf.tidy(() => randn(tf.matMul(a, b, c.ta, c.tb).shape, 3));
      await gradCheck((p, q) => tf.sum(tf.mul(tf.matMul(p, q, c.ta, c.tb), r)), [a, b]);
      tf.dispose([a, b, r]);
    });
  });
});
