import * as tf from '@tensorflow/tfjs-core';
import { test } from 'vitest';
import { gradCheck } from '../testing/gradcheck';
import { expectNoLeaks } from '../testing/leaks';
import { describeEachBackend, onBackend, randn } from './test-util.fixture';

const cases = [
  { name: 'stride 2 same', x: [1, 5, 5, 4, 2], w: [3, 3, 3, 2, 2], s: 2, pad: 'same' as const },
  { name: 'stride (1,2,2) valid', x: [2, 4, 5, 5, 1], w: [2, 3, 3, 1, 2], s: [1, 2, 2] as [number, number, number], pad: 'valid' as const },
  { name: 'stride 1 same', x: [1, 3, 4, 4, 2], w: [3, 3, 3, 2, 2], s: 1, pad: 'same' as const },
];

describeEachBackend('conv3d gradient', (backend) => {
  test.each(cases)('$name matches finite differences', async (c) => {
    await onBackend(backend);
    await expectNoLeaks(async () => {
      const x = randn(c.x, 1);
      const w = randn(c.w, 2);
      const r = tf.tidy(() => randn(tf.conv3d(x as tf.Tensor5D, w as tf.Tensor5D, c.s, c.pad).shape, 3));
      await gradCheck((a, b) => tf.sum(tf.mul(tf.conv3d(a as tf.Tensor5D, b as tf.Tensor5D, c.s, c.pad), r)), [x, w], { maxElements: 16 });
      tf.dispose([x, w, r]);
    });
  });
});
