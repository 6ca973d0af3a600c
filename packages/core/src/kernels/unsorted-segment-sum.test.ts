import * as tf from '@tensorflow/tfjs-core';
import { expect, test } from 'vitest';
import { gradCheck } from '../testing/gradcheck';
import { expectNoLeaks } from '../testing/leaks';
import { describeEachBackend, onBackend, randn } from './test-util.fixture';

describeEachBackend('gather gradient (UnsortedSegmentSum)', (backend) => {
  test('embedding lookup with repeated ids matches finite differences', async () => {
    await onBackend(backend);
    await expectNoLeaks(async () => {
      const table = randn([6, 3], 1);
      const ids = tf.tensor2d([[0, 2, 2], [5, 0, 1]], [2, 3], 'int32');
      const r = randn([2, 3, 3], 2);
      await gradCheck((t) => tf.sum(tf.mul(tf.gather(t, ids), r)), [table]);
      tf.dispose([table, ids, r]);
    });
  });

  test('unsortedSegmentSum drops out-of-range ids', async () => {
    await onBackend(backend);
    const x = tf.tensor2d([[1, 2], [3, 4], [5, 6], [7, 8]], [4, 2], 'int32');
    const ids = tf.tensor1d([1, -1, 1, 0], 'int32');
    const s = tf.unsortedSegmentSum(x, ids, 3);
    expect(Array.from(s.dataSync())).toEqual([7, 8, 6, 8, 0, 0]);
    tf.dispose([x, ids, s]);
  });
});
