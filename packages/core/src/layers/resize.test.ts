import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { useBackend, type BackendName } from '../backend';
import { RESIZE_BILINEAR_GRAD } from '../kernels/resize-bilinear-grad';
import { Rng } from '../random/rng';
import { testBackends } from '../testing/backends';
import { gradCheck } from '../testing/gradcheck';
import { expectNoLeaks, tidyAsync } from '../testing/leaks';
import { bilinearMatrix, nearestIndices, resizeBilinear, resizeNearest } from './resize';

/** Reference: apply the interpolation matrices in plain JS. */
async function refResize(x: tf.Tensor, ah: Float32Array, aw: Float32Array, ho: number, wo: number): Promise<number[]> {
  const [n, h, w, c] = x.shape as number[];
  const v = await x.data();
  const out: number[] = [];
  for (let b = 0; b < n!; b++)
    for (let i = 0; i < ho; i++)
      for (let j = 0; j < wo; j++)
        for (let k = 0; k < c!; k++) {
          let acc = 0;
          for (let u = 0; u < h!; u++) for (let q = 0; q < w!; q++) acc += ah[i * h! + u]! * aw[j * w! + q]! * v[((b * h! + u) * w! + q) * c! + k]!;
          out.push(acc);
        }
  return out;
}

describe('resize index rules (PyTorch)', () => {
  test('nearest: floor(dst·in/out), clamped', () => {
    expect(Array.from(nearestIndices(3, 7))).toEqual([0, 0, 0, 1, 1, 2, 2]);
    expect(Array.from(nearestIndices(5, 2))).toEqual([0, 2]);
  });
  test('bilinear rows sum to 1; half-pixel vs align-corners', () => {
    const m = bilinearMatrix(3, 5, false);
    for (let o = 0; o < 5; o++) expect(m[o * 3]! + m[o * 3 + 1]! + m[o * 3 + 2]!).toBeCloseTo(1, 6);
    // align corners: the end points map exactly.
    const a = bilinearMatrix(3, 5, true);
    expect([a[0], a[4 * 3 + 2]]).toEqual([1, 1]);
  });
});

for (const backend of testBackends()) {
  describe(`resize [${backend}]`, () => {
    beforeAll(() => useBackend(backend as BackendName));

    test.each([
      { hw: [3, 5], out: [7, 8], ac: false },
      { hw: [9, 7], out: [4, 5], ac: false },
      { hw: [4, 3], out: [7, 5], ac: true },
    ])('resizeBilinear $hw → $out (alignCorners $ac): forward = matrices, gradient = finite differences (batch 2)', async ({ hw, out, ac }) => {
      const rng = new Rng(`rb-${hw}-${out}`);
      await tidyAsync(async () => {
        const x = rng.normalTensor([2, hw[0]!, hw[1]!, 2]);
        const y = resizeBilinear(x, [out[0]!, out[1]!], { alignCorners: ac });
        const ref = await refResize(x, bilinearMatrix(hw[0]!, out[0]!, ac), bilinearMatrix(hw[1]!, out[1]!, ac), out[0]!, out[1]!);
        const got = await y.data();
        ref.forEach((v, i) => expect(got[i]).toBeCloseTo(v, 4));
        const probe = rng.normalTensor(y.shape);
        await gradCheck((t) => tf.sum(tf.mul(resizeBilinear(t!, [out[0]!, out[1]!], { alignCorners: ac }), probe)) as tf.Scalar, [x], { maxElements: 40 });
      });
    });

    test('resizeNearest: PyTorch indices and a correct gradient for batch ≥ 1', async () => {
      const rng = new Rng('rn');
      await tidyAsync(async () => {
        const x = rng.normalTensor([2, 3, 4, 2]);
        const y = resizeNearest(x, [7, 3]);
        const oneHot = (idx: Int32Array, n: number) => {
          const m = new Float32Array(idx.length * n);
          idx.forEach((s, o) => (m[o * n + s] = 1));
          return m;
        };
        const ref = await refResize(x, oneHot(nearestIndices(3, 7), 3), oneHot(nearestIndices(4, 3), 4), 7, 3);
        expect(Array.from(await y.data())).toEqual(ref.map((v) => Math.fround(v)));
        const probe = rng.normalTensor(y.shape);
        await gradCheck((t) => tf.sum(tf.mul(resizeNearest(t!, [7, 3]), probe)) as tf.Scalar, [x], { maxElements: 48 });
      });
    });

    test('without LEL bilinear-gradient kernel (as on tfjs-node) resizeBilinear keeps the layer gradient', async () => {
      const kernel = tf.getKernel(RESIZE_BILINEAR_GRAD, backend)!;
      expect(kernel).toBeDefined();
      tf.unregisterKernel(RESIZE_BILINEAR_GRAD, backend);
      try {
        const rng = new Rng('rb-no-kernel');
        for (const ac of [false, true]) {
          await tidyAsync(async () => {
            const x = rng.normalTensor([2, 3, 5, 2]);
            const probe = rng.normalTensor([2, 7, 4, 2]);
            await gradCheck((t) => tf.sum(tf.mul(resizeBilinear(t!, [7, 4], { alignCorners: ac }), probe)) as tf.Scalar, [x], { maxElements: 40 });
          });
        }
      } finally {
        tf.registerKernel(kernel);
      }
    });

    test('no leaks through forward and backward', async () => {
      const x = tf.randomNormal([1, 3, 3, 1]);
      await expectNoLeaks(() => tf.grad((t: tf.Tensor) => tf.add(tf.sum(resizeBilinear(t, [5, 4])), tf.sum(resizeNearest(t, [6, 2]))))(x), { disposeResult: true });
      tf.dispose(x);
    });
  });
}

describe('resize validation', () => {
  beforeAll(() => useBackend('cpu'));
  test('bad input names the argument', () => {
    expect(() => resizeBilinear(tf.zeros([3, 3, 1]), [2, 2])).toThrow(/resizeBilinear: x must have rank 4 \(NHWC\), got shape \[3,3,1\]/);
    expect(() => resizeBilinear(tf.zeros([1, 3, 3, 1]), [0, 2])).toThrow(/size\[0\] \(height\) must be a positive integer, got 0/);
    expect(() => resizeNearest(tf.zeros([1, 3, 3, 1], 'int32'), [2, 2])).toThrow(/x must be float32, got int32/);
  });
});
