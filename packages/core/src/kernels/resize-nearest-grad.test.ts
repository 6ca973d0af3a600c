import * as tf from '@tensorflow/tfjs-core';
import { test } from 'vitest';
import { gradCheck } from '../testing/gradcheck';
import { expectNoLeaks } from '../testing/leaks';
import { describeEachBackend, onBackend, randn } from './test-util.fixture';

const cases = [
  { name: 'upsample x2, batch 3', shape: [3, 3, 4, 2], size: [6, 8] as [number, number], ac: false, hp: false },
  { name: 'upsample 3→7 alignCorners', shape: [2, 3, 3, 1], size: [7, 7] as [number, number], ac: true, hp: false },
  { name: 'upsample halfPixelCenters', shape: [2, 3, 5, 2], size: [7, 9] as [number, number], ac: false, hp: true },
  { name: 'downsample 6→4', shape: [2, 6, 6, 1], size: [4, 4] as [number, number], ac: false, hp: false },
];

describeEachBackend('resizeNearestNeighbor gradient', (backend) => {
  test.for(cases)('$name matches finite differences', async (c) => {
    await onBackend(backend);
    await expectNoLeaks(async () => {
      const x = randn(c.shape, 1);
      const r = tf.tidy(() => randn([c.shape[0]!, ...c.size, c.shape[3]!], 2));
      await gradCheck((a) => tf.sum(tf.mul(tf.image.resizeNearestNeighbor(a as tf.Tensor4D, c.size, c.ac, c.hp), r)), [x], { maxElements: 60 });
      tf.dispose([x, r]);
    });
  });
});
