import * as tf from '@tensorflow/tfjs-core';
import { test } from 'vitest';
import { gradCheck } from '../testing/gradcheck';
import { expectNoLeaks } from '../testing/leaks';
import { describeEachBackend, onBackend, randn } from './test-util.fixture';

const cases = [
  { name: '3x3 stride 1 same, multiplier 2', x: [2, 5, 5, 3], w: [3, 3, 3, 2], s: 1, pad: 'same' as const, dil: 1 },
  { name: '3x3 stride 2 valid', x: [1, 7, 6, 2], w: [3, 3, 2, 1], s: 2, pad: 'valid' as const, dil: 1 },
  { name: '3x3 dilation 2 same', x: [1, 7, 7, 2], w: [3, 3, 2, 1], s: 1, pad: 'same' as const, dil: 2 },
];

describeEachBackend('depthwiseConv2d gradient', (backend) => {
  test.each(cases)('$name matches finite differences', async (c) => {
    await onBackend(backend);
    await expectNoLeaks(async () => {
      const x = randn(c.x, 1);
      const w = randn(c.w, 2);
      const f = (a: tf.Tensor, b: tf.Tensor) => tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.s, c.pad, 'NHWC', c.dil);
      const r = tf.tidy(() => randn(f(x, w).shape, 3));
      await gradCheck((a, b) => tf.sum(tf.mul(f(a, b), r)), [x, w], { maxElements: 16 });
      tf.dispose([x, w, r]);
    });
  });
});
