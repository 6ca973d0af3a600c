import * as tf from '@tensorflow/tfjs-core';
import { expect, test } from 'vitest';
import { gradCheck } from '../testing/gradcheck';
import { expectNoLeaks } from '../testing/leaks';
import { MAX_POOL_GRAD, maxPoolGradValues } from './max-pool-grad';
import { describeEachBackend, onBackend, randn } from './test-util.fixture';

const cases = [
  { name: '2x2 stride 2, all negative', shape: [2, 4, 6, 3], f: 2, s: 2, pad: 'valid' as const, shift: -10 },
  { name: '3x3 stride 2 same (overlapping, padded)', shape: [2, 5, 5, 2], f: 3, s: 2, pad: 'same' as const, shift: 0 },
  { name: '3x3 stride 1 same, all negative', shape: [1, 4, 4, 2], f: 3, s: 1, pad: 'same' as const, shift: -5 },
];

describeEachBackend('maxPool gradient', (backend) => {
  test.each(cases)('$name matches finite differences', async (c) => {
    await onBackend(backend);
    await expectNoLeaks(async () => {
      // Distinct values well apart (no ties within ±eps), optionally all negative.
      const n = c.shape.reduce((p, q) => p * q, 1);
      const perm = tf.util.createShuffledIndices(n);
      const x = tf.tensor(Array.from(perm, (v) => v * 0.1 + c.shift), c.shape);
      const r = tf.tidy(() => randn(tf.maxPool(x as tf.Tensor4D, c.f, c.s, c.pad).shape, 7));
      await gradCheck((a) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, c.f, c.s, c.pad), r)), [x], { maxElements: 200, eps: 1e-2 });
      tf.dispose([x, r]);
    });
  });

  test('every window of an all-negative input passes its gradient', async () => {
    await onBackend(backend);
    const x = tf.reshape(tf.neg(tf.range(1, 17)), [1, 4, 4, 1]) as tf.Tensor4D;
    const g = tf.grad((a: tf.Tensor) => tf.sum(tf.maxPool(a as tf.Tensor4D, 2, 2, 'valid')))(x);
    expect((await tf.sum(g).data())[0]).toBe(4);
    tf.dispose([x, g]);
  });
});

describeEachBackend('maxPool gradient kernel equals the scalar reference exactly', (backend) => {
  test.each([
    { shape: [2, 6, 7, 9] as [number, number, number, number], f: 3, s: 2, pad: 'same' as const },
    { shape: [2, 8, 8, 8] as [number, number, number, number], f: 2, s: 2, pad: 'valid' as const },
    { shape: [1, 5, 6, 5] as [number, number, number, number], f: 3, s: 1, pad: 'same' as const },
  ])('$shape f $f s $s $pad, with ties and NaN', async (c) => {
    await onBackend(backend);
    const n = c.shape.reduce((p, q) => p * q, 1);
    // Few distinct values: many ties, where the first maximum (row-major window order) must win.
    const values = Float32Array.from({ length: n }, (_, i) => ((i * 7919) % 5) - 2);
    values[3] = NaN;
    const x = tf.tensor(values, c.shape) as tf.Tensor4D;
    const info = tf.backend_util.computePool2DInfo(c.shape as [number, number, number, number], c.f, c.s, 1, c.pad);
    const dy = randn([c.shape[0]!, info.outHeight, info.outWidth, c.shape[3]!], 3) as tf.Tensor4D;
    const want = new Float32Array(n);
    maxPoolGradValues(values, dy.dataSync() as Float32Array, info, want);
    const got = tf.engine().runKernel(MAX_POOL_GRAD, { dy, input: x }, { filterSize: c.f, strides: c.s, pad: c.pad } as unknown as tf.NamedAttrMap) as tf.Tensor;
    expect(Array.from(got.dataSync())).toEqual(Array.from(want));
    tf.dispose([x, dy, got]);
  });
}, { skip: { webgpu: "LEL's cpu/wasm kernel (webgpu runs the stock tfjs-webgpu gradient)" } });
