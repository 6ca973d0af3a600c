import * as tf from '@tensorflow/tfjs-core';
import { expect, test } from 'vitest';
import { conv2d } from '../../layers/conv';
import { gradCheck } from '../../testing/gradcheck';
import { expectNoLeaks } from '../../testing/leaks';
import { randn } from '../test-util.fixture';
import { conv2dFilterSplits } from './conv2d-backprop-filter';
import { lelWebGPUOverrideActive } from './overrides';
import { describeWebGPU, onWebGPU, relErr, valuesOn, withStockWebGPU } from './test-util.fixture';

type Pad = 'same' | 'valid' | tf.backend_util.ExplicitPadding;
const cases: { name: string; x: number[]; w: number[]; s: number; pad: Pad; dil: number }[] = [
  { name: '3x3 stride 1 same, 3 channels in', x: [2, 9, 9, 3], w: [3, 3, 3, 8], s: 1, pad: 'same', dil: 1 },
  { name: '3x2 stride 2 valid, 70 channels out (two column tiles)', x: [3, 11, 13, 5], w: [3, 2, 5, 70], s: 2, pad: 'valid', dil: 1 },
  { name: '3x3 dilation 2', x: [2, 9, 8, 4], w: [3, 3, 4, 6], s: 1, pad: 'same', dil: 2 },
  { name: 'explicit padding', x: [1, 6, 7, 2], w: [3, 3, 2, 3], s: 1, pad: [[0, 0], [2, 0], [1, 1], [0, 0]], dil: 1 },
  { name: '1x1', x: [1, 8, 8, 4], w: [1, 1, 4, 5], s: 1, pad: 'same', dil: 1 },
  { name: 'split over the batch (3 partial sums)', x: [2, 40, 40, 4], w: [3, 3, 4, 8], s: 1, pad: 'same', dil: 1 },
];

/** dW through the kernel, or (`viaGrad`) through LEL's conv2d gradient (tfjs-cpu has no dilated kernel). */
function filterGrad(c: (typeof cases)[number], viaGrad = false): tf.Tensor {
  const x = randn(c.x, 1) as tf.Tensor4D;
  const conv = (w: tf.Tensor) => tf.conv2d(x, w as tf.Tensor4D, c.s, c.pad, 'NHWC', c.dil);
  const dy = randn(conv(randn(c.w, 2)).shape, 3);
  if (viaGrad) return tf.grad((w: tf.Tensor) => tf.sum(tf.mul(conv(w), dy)))(randn(c.w, 2));
  const attrs = { strides: c.s, pad: c.pad, dataFormat: 'NHWC', dilations: c.dil, filterShape: c.w };
  return tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, attrs as never) as tf.Tensor;
}

describeWebGPU('Conv2DBackpropFilter as a tiled GEMM over im2col', () => {
  test('replaces tfjs-webgpu\'s kernel', async () => {
    await onWebGPU();
    expect(lelWebGPUOverrideActive(tf.Conv2DBackpropFilter)).toBe(true);
    expect(conv2dFilterSplits(3200, 36, 8)).toEqual({ splits: 3, rowsPerSplit: 1072 });
  });

  test.each(cases)('$name: within float32 rounding of tfjs-cpu (LEL\'s gradient when dilated) and of tfjs-webgpu\'s kernel', async (c) => {
    await onWebGPU();
    const run = () => tf.tidy(() => filterGrad(c));
    const [ours] = await valuesOn('webgpu', run);
    const [cpu] = await valuesOn('cpu', () => tf.tidy(() => filterGrad(c, c.dil > 1)));
    // tfjs-webgpu's kernel ignores dilations (tfjs rejects dilated conv gradients).
    if (c.dil === 1) {
      const [stock] = await withStockWebGPU(() => valuesOn('webgpu', run));
      expect(relErr(ours!, stock!)).toBeLessThan(2e-6);
    }
    expect(relErr(ours!, cpu!)).toBeLessThan(2e-6);
    await expectNoLeaks(async () => {
      const g = run();
      await g.data();
      g.dispose();
    });
  });

  test.each(cases.filter((c) => c.x[1]! < 20))('$name: the conv2d filter gradient matches finite differences', async (c) => {
    await onWebGPU();
    await expectNoLeaks(async () => {
      const x = randn(c.x, 4);
      const w = randn(c.w, 5);
      const r = tf.tidy(() => randn(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.s, c.pad, 'NHWC', c.dil).shape, 6));
      await gradCheck((ww) => tf.sum(tf.mul(tf.conv2d(x as tf.Tensor4D, ww as tf.Tensor4D, c.s, c.pad, 'NHWC', c.dil), r)), [w], { maxElements: 12 });
      tf.dispose([x, w, r]);
    });
  });

  test('the Conv2d layer passes explicit padding (no Pad/Slice dispatch) and matches tfjs-cpu, values and gradients', async () => {
    await onWebGPU();
    const run = () =>
      tf.tidy(() => {
        const x = randn([2, 7, 6, 3], 7);
        const w = randn([3, 3, 3, 4], 8);
        const r = randn([2, 7, 6, 4], 9);
        const f = (xx: tf.Tensor, ww: tf.Tensor) => tf.sum(tf.mul(conv2d(xx, ww, null, { padding: 1 }), r)) as tf.Scalar;
        return [conv2d(x, w, null, { padding: 1 }), ...tf.grads(f)([x, w])];
      });
    const gpu = await valuesOn('webgpu', run);
    const cpu = await valuesOn('cpu', run);
    gpu.forEach((v, k) => expect(relErr(v, cpu[k]!), `output ${k}`).toBeLessThan(2e-6));
    const info = await tf.profile(() => run());
    expect(info.kernelNames).not.toContain('PadV2');
    expect(info.kernelNames).not.toContain('Slice');
    tf.dispose(info.result as tf.Tensor[]);
  });
});
