import * as tf from '@tensorflow/tfjs-core';
import { test } from 'vitest';
import { gradCheck } from '../testing/gradcheck';
import { expectNoLeaks } from '../testing/leaks';
import { describeEachBackend, onBackend, randn } from './test-util.fixture';

describeEachBackend('depthToSpace gradient', (backend) => {
  test.each([2, 3])('block %i matches finite differences', async (s) => {
    await onBackend(backend);
    await expectNoLeaks(async () => {
      const x = randn([2, 2, 3, s * s * 2], 1);
      const r = randn([2, 2 * s, 3 * s, 2], 2);
      await gradCheck((a) => tf.sum(tf.mul(tf.depthToSpace(a as tf.Tensor4D, s), r)), [x], { maxElements: 72 });
      tf.dispose([x, r]);
    });
  });
});
