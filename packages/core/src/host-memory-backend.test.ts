import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, test } from 'vitest';
import { isHostMemoryBackend } from './host-memory-backend';

describe('isHostMemoryBackend', () => {
  test('cpu and wasm keep values in host memory; GPU backends and tfjs-node do not', () => {
    expect(isHostMemoryBackend('cpu')).toBe(true);
    expect(isHostMemoryBackend('wasm')).toBe(true);
    for (const name of ['webgpu', 'webgl', 'tensorflow', 'tensorflow-gpu', '']) expect(isHostMemoryBackend(name)).toBe(false);
  });

  test('defaults to the active backend', async () => {
    await tf.setBackend('cpu');
    expect(isHostMemoryBackend()).toBe(true);
  });
});
