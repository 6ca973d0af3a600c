import * as tf from '@tensorflow/tfjs-core';
import { test } from 'vitest';
import { gradCheck } from '../testing/gradcheck';
import { expectNoLeaks } from '../testing/leaks';
import { describeEachBackend, onBackend, randn } from './test-util.fixture';

describeEachBackend('batchNorm gradient (no Tile)', (backend) => {
  test('all five inputs match finite differences', async () => {
    await onBackend(backend);
    await expectNoLeaks(async () => {
      const x = randn([2, 3, 3, 4], 1);
      const mean = randn([4], 2);
      const variance = tf.tidy(() => tf.add(tf.abs(randn([4], 3)), 0.5));
      const scale = randn([4], 4);
      const offset = randn([4], 5);
      const r = randn([2, 3, 3, 4], 6);
      await gradCheck((a, m, v, g, b) => tf.sum(tf.mul(tf.batchNorm(a, m, v, b, g, 1e-3), r)), [x, mean, variance, scale, offset], { eps: 1e-3, atol: 5e-3 });
      tf.dispose([x, mean, variance, scale, offset, r]);
    });
  });
});
