import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { expect, test } from 'vitest';
import { useBackend } from '../backend';
import { describeBackends } from '../testing/backends';
import { expectNoLeaks } from '../testing/leaks';
import { stopGradient } from './stop-gradient';

describeBackends('stopGradient', (backend) => {
  test('passes the value, blocks the gradient, and outlives the input without a copy or a leak', async () => {
    await useBackend(backend as never);
    const x = tf.tensor1d([1, -2, 3]);
    await expectNoLeaks(async () => {
      // d/dx [x·x + stop(x)·x] = 2x + stop(x) = 3x numerically, but only 2x + x (as a constant) flows: 3x.
      // d/dx [stop(x)·stop(x)] = 0.
      const g = tf.grad((v: tf.Tensor) => tf.sum(tf.add(tf.mul(v, v), tf.mul(stopGradient(v), v))))(x);
      expect(Array.from(await g.data())).toEqual([3, -6, 9]);
      const z = tf.grad((v: tf.Tensor) => tf.sum(tf.add(tf.mul(stopGradient(v), stopGradient(v)), tf.mul(v, 0))))(x);
      expect(Array.from(await z.data()).every((v) => v === 0)).toBe(true);
      tf.dispose([g, z]);
    });
    const y = stopGradient(x);
    x.dispose();
    expect(Array.from(await y.data())).toEqual([1, -2, 3]);
    y.dispose();
  });
});
