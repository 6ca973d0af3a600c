import * as tf from '@tensorflow/tfjs-core';
import { test } from 'vitest';
import { gradCheck } from '../testing/gradcheck';
import { expectNoLeaks } from '../testing/leaks';
import { describeEachBackend, onBackend, randn } from './test_util';

const cases = [
  { name: 'x2 halfPixelCenters, batch 2', shape: [2, 3, 4, 2], size: [6, 8] as [number, number], ac: false, hp: true },
  { name: 'x2 legacy', shape: [2, 3, 4, 2], size: [6, 8] as [number, number], ac: false, hp: false },
  { name: '3→7 alignCorners', shape: [2, 3, 3, 1], size: [7, 7] as [number, number], ac: true, hp: false },
  { name: 'downsample 6→4 halfPixelCenters', shape: [1, 6, 6, 1], size: [4, 4] as [number, number], ac: false, hp: true },
];

describeEachBackend('resizeBilinear gradient', (backend) => {
  test.each(cases)('$name matches finite differences', async (c) => {
    await onBackend(backend);
    await expectNoLeaks(() => {
      const x = randn(c.shape, 1);
      const r = tf.tidy(() => randn([c.shape[0]!, ...c.size, c.shape[3]!], 2));
      gradCheck((a) => tf.sum(tf.mul(tf.image.resizeBilinear(a as tf.Tensor4D, c.size, c.ac, c.hp), r)), [x], { maxElements: 48 });
      tf.dispose([x, r]);
    });
  });
});
