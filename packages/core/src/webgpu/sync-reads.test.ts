import * as tf from '@tensorflow/tfjs-core';
import { expect, test } from 'vitest';
import { describeWebGPU, onWebGPU } from '../kernels/webgpu/test-util.fixture';

// In the browser the same guard meets the silent case (zeros from Chromium's SwiftShader adapter): apps/playground's
// browser test checks it there.
describeWebGPU('synchronous reads on webgpu', () => {
  test('a synchronous read of a tensor on the GPU throws an error saying to read asynchronously (Node has no OffscreenCanvas)', async () => {
    await onWebGPU();
    // Over tfjs-webgpu's CPU hand-off size (1,000 elements), so the product is computed on the GPU.
    const x = tf.range(0, 2048, 1, 'float32');
    const y = tf.mul(x, 2);
    const want = Array.from({ length: 2048 }, (_, i) => 2 * i);
    expect(() => y.dataSync()).toThrow(/WebGPU: synchronous read \(dataSync\/arraySync\/bufferSync\) of a float32\[2048\] tensor .*OffscreenCanvas.*await t\.data\(\)/);
    expect(() => y.arraySync()).toThrow(/synchronous read/);
    expect(Array.from(await y.data())).toEqual(want);
    // Values on the host (never uploaded, or read before) are returned as they are.
    const host = tf.tensor1d([5, 6]);
    expect(Array.from(host.dataSync())).toEqual([5, 6]);
    expect(Array.from(y.dataSync())).toEqual(want);
    tf.dispose([x, y, host]);
  });
});
