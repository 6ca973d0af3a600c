import * as tf from '@tensorflow/tfjs-core';
import { expect, test } from 'vitest';
import { compareClose } from '../testing/golden';
import { gradCheck } from '../testing/gradcheck';
import { expectNoLeaks } from '../testing/leaks';
import { describeEachBackend, onBackend, randn } from './test-util.fixture';

type Case = { name: string; x: number[]; w: number[]; strides: number; pad: 'same' | 'valid' | tf.backend_util.ExplicitPadding; dil: number };
const cases: Case[] = [
  { name: '3x3 stride 1 same', x: [2, 6, 5, 3], w: [3, 3, 3, 4], strides: 1, pad: 'same', dil: 1 },
  { name: '3x3 stride 2 same', x: [2, 7, 6, 2], w: [3, 3, 2, 3], strides: 2, pad: 'same', dil: 1 },
  { name: '2x3 stride 2 valid', x: [1, 7, 8, 2], w: [2, 3, 2, 3], strides: 2, pad: 'valid', dil: 1 },
  { name: '3x3 explicit pad', x: [2, 5, 5, 2], w: [3, 3, 2, 2], strides: 1, pad: [[0, 0], [2, 0], [1, 1], [0, 0]], dil: 1 },
  { name: '3x3 dilation 2 same', x: [2, 7, 7, 2], w: [3, 3, 2, 3], strides: 1, pad: 'same', dil: 2 },
  { name: '1x1', x: [2, 4, 4, 3], w: [1, 1, 3, 5], strides: 1, pad: 'valid', dil: 1 },
];

describeEachBackend('conv2d gradient', (backend) => {
  test.each(cases)('$name matches finite differences', async (c) => {
    await onBackend(backend);
    await expectNoLeaks(async () => {
      const x = randn(c.x, 1);
      const w = randn(c.w, 2);
      const y = tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.strides, c.pad, 'NHWC', c.dil);
      const r = randn(y.shape, 3);
      await gradCheck((a, b) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.strides, c.pad, 'NHWC', c.dil), r)), [x, w], { maxElements: 16 });
      tf.dispose([x, w, y, r]);
    });
  });

  test('Conv2DBackpropFilter kernel (any stride/padding) matches the im2col gradient', async () => {
    await onBackend(backend);
    for (const c of cases.filter((k) => k.dil === 1)) {
      const x = randn(c.x, 4);
      const w = randn(c.w, 5);
      const dy = randn(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.strides, c.pad).shape, 6);
      const viaKernel = tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', filterShape: c.w } as never) as tf.Tensor;
      const viaGrad = tf.grad((ww: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x as tf.Tensor4D, ww as tf.Tensor4D, c.strides, c.pad), dy)))(w);
      expect(compareClose(await viaKernel.data(), await viaGrad.data(), 1e-4, 1e-4), c.name).toBeNull();
      tf.dispose([x, w, dy, viaKernel, viaGrad]);
    }
  });
});
