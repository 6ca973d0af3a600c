import * as tf from '@tensorflow/tfjs-core';
import { expect, test } from 'vitest';
import { resizeBilinear } from '../../layers/resize';
import { expectNoLeaks } from '../../testing/leaks';
import { RESIZE_BILINEAR_GRAD, resizeBilinearGradValues } from '../resize-bilinear-grad';
import { RESIZE_NEAREST_GRAD, resizeNearestGradValues } from '../resize-nearest-grad';
import { randn } from '../test-util.fixture';
import { describeWebGPU, onWebGPU, relErr, valuesOn, withStockWebGPU } from './test-util.fixture';

// Shapes: up- and downsampling, non-integer ratios, one-pixel sides (alignCorners' ratio 0), every attribute mix.
const cases = [
  { shape: [2, 5, 6, 7], size: [10, 12], ac: false, hp: true },
  { shape: [2, 3, 4, 2], size: [6, 8], ac: false, hp: false },
  { shape: [1, 4, 4, 4], size: [9, 7], ac: true, hp: false },
  { shape: [2, 8, 6, 3], size: [3, 5], ac: false, hp: true },
  { shape: [1, 6, 6, 1], size: [4, 4], ac: false, hp: false },
  { shape: [2, 3, 5, 2], size: [7, 9], ac: false, hp: true },
  { shape: [1, 1, 3, 2], size: [4, 5], ac: true, hp: false },
  { shape: [1, 2, 1, 1], size: [5, 1], ac: false, hp: true },
] as { shape: number[]; size: [number, number]; ac: boolean; hp: boolean }[];

const kernels = [
  { op: 'bilinear', kernel: RESIZE_BILINEAR_GRAD, values: resizeBilinearGradValues },
  { op: 'nearest', kernel: RESIZE_NEAREST_GRAD, values: resizeNearestGradValues },
] as const;

describeWebGPU("LEL's resize gradients (halfPixelCenters: tfjs-webgpu's ignore it)", () => {
  for (const k of kernels) {
    test.each(cases.filter((c) => !(c.ac && c.hp)))(`${k.op}: $shape → $size alignCorners $ac halfPixelCenters $hp is within float32 rounding of the cpu kernel`, async (c) => {
      await onWebGPU();
      const images = randn(c.shape, 1);
      const dy = randn([c.shape[0]!, ...c.size, c.shape[3]!], 2);
      const want = new Float32Array(images.size);
      k.values((await dy.data()) as Float32Array, c.shape, dy.shape, c.ac, c.hp, want);
      const attrs = { alignCorners: c.ac, halfPixelCenters: c.hp } as unknown as tf.NamedAttrMap;
      const got = tf.engine().runKernel(k.kernel, { images, dy }, attrs) as tf.Tensor;
      const values = (await got.data()) as Float32Array;
      tf.dispose([images, dy, got]);
      // Nearest sums the same dy values (order aside); bilinear's weights come from f32 taps (cpu: float64).
      expect(relErr(values, want)).toBeLessThan(k.op === 'nearest' ? 1e-6 : 2e-6);
    });
  }

  test("tf.grad of both resizes goes through LEL's kernels, equals tfjs-cpu's with LEL's fix, and leaks nothing", async () => {
    await onWebGPU();
    // Seeded inputs made inside (identical on every backend), as valuesOn switches backends.
    const f = () => {
      const x = randn([2, 5, 6, 3], 3);
      const w = randn([2, 9, 10, 3], 4);
      return [
        tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.image.resizeBilinear(a as tf.Tensor4D, [9, 10], false, true), w)))(x),
        tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.image.resizeNearestNeighbor(a as tf.Tensor4D, [9, 10], false, true), w)))(x),
      ];
    };
    const info = await tf.profile(() => tf.tidy(f));
    expect(info.kernelNames).toEqual(expect.arrayContaining([RESIZE_BILINEAR_GRAD, RESIZE_NEAREST_GRAD]));
    expect(info.kernelNames).not.toContain(tf.ResizeBilinearGrad);
    const webgpu = await valuesOn('webgpu', () => tf.tidy(f));
    const cpu = await valuesOn('cpu', () => tf.tidy(f));
    webgpu.forEach((v, i) => expect(relErr(v, cpu[i]!), `gradient ${i}`).toBeLessThan(2e-6));
    // The stock kernels (overrides off) still give the half-pixel-blind gradient: what this kernel fixes.
    const stock = await withStockWebGPU(() => valuesOn('webgpu', () => tf.tidy(f)));
    expect(relErr(stock[0]!, cpu[0]!)).toBeGreaterThan(1e-2);
    await expectNoLeaks(async () => {
      tf.dispose(tf.tidy(f));
    });
  });

  test("core's resizeBilinear layer: LEL's kernel with LEL's webgpu kernels on, its own separable gradient on stock tfjs-webgpu; both equal cpu's", async () => {
    await onWebGPU();
    const f = () => {
      const x = randn([2, 4, 5, 3], 5);
      const w = randn([2, 8, 9, 3], 6);
      return [tf.grad((a: tf.Tensor) => tf.sum(tf.mul(resizeBilinear(a, [8, 9]), w)))(x)];
    };
    const info = await tf.profile(() => tf.tidy(f));
    expect(info.kernelNames).toContain(RESIZE_BILINEAR_GRAD);
    const cpu = await valuesOn('cpu', () => tf.tidy(f));
    const [ours] = await valuesOn('webgpu', () => tf.tidy(f));
    const [stock] = await withStockWebGPU(() => valuesOn('webgpu', () => tf.tidy(f)));
    expect(relErr(ours!, cpu[0]!)).toBeLessThan(2e-6);
    expect(relErr(stock!, cpu[0]!)).toBeLessThan(2e-6);
  });
});
