import * as tf from '@tensorflow/tfjs-core';
import { expect, test } from 'vitest';
import { describeEachBackend, onBackend } from '../kernels/test-util.fixture';
import { float32View } from './tensor-view';

describeEachBackend('float32View', (backend) => {
  test('reads a tensor without copying on wasm and cpu, and copies int32', async () => {
    await onBackend(backend);
    const t = tf.tensor1d([1.5, -2, 3]);
    const v = await float32View(t);
    expect(Array.from(v)).toEqual([1.5, -2, 3]);
    // A view, not a copy: a second read is the same memory.
    expect((await float32View(t)).buffer).toBe(v.buffer);
    const i = tf.tensor1d([4, 5], 'int32');
    const iv = await float32View(i);
    expect(iv).toBeInstanceOf(Float32Array);
    expect(Array.from(iv)).toEqual([4, 5]);
    tf.dispose([t, i]);
  });
});
