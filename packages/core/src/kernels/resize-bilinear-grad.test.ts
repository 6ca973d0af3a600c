import * as tf from '@tensorflow/tfjs-core';
import { expect, test } from 'vitest';
import { gradCheck } from '../testing/gradcheck';
import { expectNoLeaks } from '../testing/leaks';
import { RESIZE_BILINEAR_GRAD, resizeBilinearGradValues } from './resize-bilinear-grad';
import { describeEachBackend, onBackend, randn } from './test-util.fixture';

const cases = [
  { name: 'x2 halfPixelCenters, batch 2', shape: [2, 3, 4, 2], size: [6, 8] as [number, number], ac: false, hp: true },
  { name: 'x2 legacy', shape: [2, 3, 4, 2], size: [6, 8] as [number, number], ac: false, hp: false },
  { name: '3→7 alignCorners', shape: [2, 3, 3, 1], size: [7, 7] as [number, number], ac: true, hp: false },
  { name: 'downsample 6→4 halfPixelCenters', shape: [1, 6, 6, 1], size: [4, 4] as [number, number], ac: false, hp: true },
];

describeEachBackend('resizeBilinear gradient', (backend) => {
  test.for(cases)('$name matches finite differences', async (c) => {
    await onBackend(backend);
    await expectNoLeaks(async () => {
      const x = randn(c.shape, 1);
      const r = tf.tidy(() => randn([c.shape[0]!, ...c.size, c.shape[3]!], 2));
      await gradCheck((a) => tf.sum(tf.mul(tf.image.resizeBilinear(a as tf.Tensor4D, c.size, c.ac, c.hp), r)), [x], { maxElements: 48 });
      tf.dispose([x, r]);
    });
  });
});

describeEachBackend('resizeBilinear gradient kernel equals the scalar reference exactly', (backend) => {
  test.each([
    { shape: [2, 5, 6, 7], size: [10, 12] as [number, number], ac: false, hp: true },
    { shape: [1, 4, 4, 4], size: [9, 7] as [number, number], ac: true, hp: false },
    { shape: [2, 8, 6, 3], size: [3, 5] as [number, number], ac: false, hp: false },
  ])('$shape → $size alignCorners $ac halfPixelCenters $hp', async (c) => {
    await onBackend(backend);
    const images = randn(c.shape, 1) as tf.Tensor4D;
    const dy = randn([c.shape[0]!, ...c.size, c.shape[3]!], 2);
    const want = new Float32Array(images.size);
    resizeBilinearGradValues(dy.dataSync() as Float32Array, c.shape, dy.shape, c.ac, c.hp, want);
    const got = tf.engine().runKernel(RESIZE_BILINEAR_GRAD, { images, dy }, { alignCorners: c.ac, halfPixelCenters: c.hp } as unknown as tf.NamedAttrMap) as tf.Tensor;
    expect(Array.from(got.dataSync())).toEqual(Array.from(want));
    tf.dispose([images, dy, got]);
  });
}, { skip: { webgpu: "exact equality is the JS kernel's (cpu, wasm); LEL's WGSL kernel is checked within float32 rounding in webgpu/resize-grad.test.ts" } });
