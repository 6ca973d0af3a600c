import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { useBackend, type BackendName } from '../backend';
import { Rng } from '../random/rng';
import { testBackends } from '../testing/backends';
import { gradCheck } from '../testing/gradcheck';
import { expectNoLeaks } from '../testing/leaks';
import { pixelShuffle, pixelUnshuffle } from './pixel-shuffle';

for (const backend of testBackends()) {
  describe(`pixelShuffle [${backend}]`, () => {
    beforeAll(() => useBackend(backend as BackendName));

    test("out[n, h·r+i, w·r+j, c] = x[n, h, w, c·r² + i·r + j] (PyTorch's (C, r, r) order)", () => {
      tf.tidy(() => {
        const [n, h, w, c, r] = [2, 2, 3, 2, 2];
        const x = tf.reshape(tf.range(0, n * h * w * c * r * r), [n, h, w, c * r * r]);
        const y = pixelShuffle(x, r);
        expect(y.shape).toEqual([n, h * r, w * r, c]);
        const xv = x.dataSync();
        const yv = y.dataSync();
        for (let b = 0; b < n; b++)
          for (let hh = 0; hh < h; hh++)
            for (let ww = 0; ww < w; ww++)
              for (let cc = 0; cc < c; cc++)
                for (let i = 0; i < r; i++)
                  for (let j = 0; j < r; j++) {
                    const got = yv[((b * h * r + hh * r + i) * w * r + ww * r + j) * c + cc];
                    expect(got).toBe(xv[((b * h + hh) * w + ww) * c * r * r + cc * r * r + i * r + j]);
                  }
        // Differs from depthToSpace whenever C > 1.
        expect(Array.from(y.dataSync())).not.toEqual(Array.from(tf.depthToSpace(x as tf.Tensor4D, r).dataSync()));
        expect(Array.from(pixelUnshuffle(y, r).dataSync())).toEqual(Array.from(xv));
      });
    });

    test('gradients (both directions) match finite differences; no leaks', async () => {
      const rng = new Rng('ps');
      const x = rng.normalTensor([1, 2, 2, 12]);
      const probe = rng.normalTensor([1, 4, 4, 3]);
      await gradCheck((t) => tf.sum(tf.mul(pixelShuffle(t!, 2), probe)) as tf.Scalar, [x]);
      await gradCheck((t) => tf.sum(tf.mul(pixelUnshuffle(t!, 2), x)) as tf.Scalar, [probe]);
      await expectNoLeaks(() => tf.grad((t: tf.Tensor) => tf.sum(pixelShuffle(t, 2)))(x), { disposeResult: true });
      tf.dispose([x, probe]);
    });
  });
}

describe('pixelShuffle validation', () => {
  beforeAll(() => useBackend('cpu'));
  test('bad input names the argument', () => {
    expect(() => pixelShuffle(tf.zeros([1, 2, 2, 6]), 2)).toThrow(/channels \(6\) must be divisible by r² = 4/);
    expect(() => pixelShuffle(tf.zeros([2, 2, 4]), 2)).toThrow(/rank 4/);
    expect(() => pixelUnshuffle(tf.zeros([1, 3, 4, 1]), 2)).toThrow(/height \(3\) and width \(4\) must be divisible by r = 2/);
    expect(() => pixelShuffle(tf.zeros([1, 2, 2, 4]), 0)).toThrow(/upscale factor r must be a positive integer, got 0/);
  });
});
