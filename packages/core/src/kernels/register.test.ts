import * as tf from '@tensorflow/tfjs-core';
import { expect, test } from 'vitest';
import { registerLelKernels } from './register';

test('registerLelKernels is idempotent and installs the wasm gaps and gradients', () => {
  const first = registerLelKernels();
  const conv = tf.getGradient(tf.Conv2D);
  expect(registerLelKernels()).toBe(first);
  expect(tf.getGradient(tf.Conv2D)).toBe(conv);
  expect(tf.getKernel(tf.Conv2DBackpropFilter, 'wasm')).toBeDefined();
  expect(tf.getKernel(tf.UnsortedSegmentSum, 'wasm')).toBeDefined();
  expect(tf.getGradient(tf.DepthToSpace)).toBeDefined();
  expect(first.gradients).toEqual(expect.arrayContaining([tf.Conv2D, tf.BatchMatMul, tf.MaxPool, tf.FusedBatchNorm, tf.DepthToSpace]));
});
