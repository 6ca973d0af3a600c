import * as tf from '@tensorflow/tfjs-core';
import { expect, test } from 'vitest';
import { makeOutput, runLelProgram } from '../kernels/webgpu/program';
import { describeWebGPU, onWebGPU } from '../kernels/webgpu/test-util.fixture';
import { WebGPUDeviceError, throwPendingDeviceErrors } from './device-errors';
import { isWebGPU } from './gpu-types';

describeWebGPU('device errors are errors', () => {
  test('a tensor over maxStorageBufferBindingSize throws naming the kernel and shapes (instead of a zero loss)', async () => {
    await onWebGPU();
    const backend = tf.backend();
    if (!isWebGPU(backend)) throw new Error('not webgpu');
    const limit = backend.device.limits.maxStorageBufferBindingSize;
    const n = Math.floor(limit / 4) + 1024;
    const before = tf.memory().numTensors;
    const x = tf.ones([2, n / 2]); // created on the host: nothing is bound yet
    let err: unknown;
    try {
      tf.tidy(() => tf.sum(tf.mul(x, 2)));
    } catch (e) {
      err = e;
    }
    x.dispose();
    expect(err).toBeInstanceOf(WebGPUDeviceError);
    const e = err as WebGPUDeviceError;
    expect(e.kind).toBe('binding-size');
    expect(e.kernel).toMatch(/Multiply|Fill/);
    expect(e.message).toMatch(new RegExp(`float32\\[2,${n / 2}\\].*maxStorageBufferBindingSize`));
    expect(tf.memory().numTensors).toBe(before);
  });

  test('a validation error raised later by the device is thrown by the next read, naming the kernel', async () => {
    await onWebGPU();
    const backend = tf.backend();
    if (!isWebGPU(backend)) throw new Error('not webgpu');
    const x = tf.ones([4]);
    const out = makeOutput(backend, [4]);
    const broken = { name: 'LelBrokenProgram', key: 'LelBrokenProgram', workgroups: [1] as [number], wgsl: () => 'this is not WGSL' };
    runLelProgram(backend, broken, [out], [x]);
    const y = tf.engine().makeTensorFromTensorInfo(out);
    await expect(y.data()).rejects.toThrow(/WebGPU validation error in kernel LelBrokenProgram.*float32\[4\] → float32\[4\]/s);
    // Reported once: the next read succeeds.
    expect(Array.from(await x.data())).toEqual([1, 1, 1, 1]);
    await throwPendingDeviceErrors(backend);
    tf.dispose([x, y]);
  });
});
