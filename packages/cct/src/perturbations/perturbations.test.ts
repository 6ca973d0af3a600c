import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { Rng, useBackend } from '@lel/core';
import { expectNoLeaks, testBackends } from '@lel/core/testing';
import { describe, expect, test } from 'vitest';
import { contextMasking } from './context-masking';
import { dropout2d } from './dropout';
import { featureDrop } from './feature-drop';
import { featureNoise } from './feature-noise';
import { connectedComponents, guidedCutout, guidedCutoutParts } from './guided-cutout';
import { objectMasking } from './object-masking';
import { vatPerturbation } from './vat';

for (const backend of testBackends()) {
  describe(`perturbations [${backend}]`, () => {
    const shape: [number, number, number, number] = [2, 4, 4, 3];
    const setup = async () => {
      await useBackend(backend as never);
      const rng = new Rng(1);
      const z = rng.normalTensor(shape) as tf.Tensor4D;
      // A main prediction at 4× the feature resolution with one square object in image 0.
      const main = tf.tidy(() => {
        const fg = tf.pad(tf.ones([1, 8, 8, 1]), [[0, 1], [4, 4], [4, 4], [0, 0]]);
        return tf.concat([tf.sub(1, fg), fg, tf.zeros([2, 16, 16, 1])], 3) as tf.Tensor4D;
      });
      return { rng, z, main };
    };

    const cases: [string, (z: tf.Tensor4D, main: tf.Tensor4D, rng: Rng) => tf.Tensor4D][] = [
      ['featureNoise', (z, _m, rng) => featureNoise(z, { rng })],
      ['featureDrop', (z, _m, rng) => featureDrop(z, { rng })],
      ['dropout2d', (z, _m, rng) => dropout2d(z, { rng })],
      ['dropout (element)', (z, _m, rng) => dropout2d(z, { rng, spatial: false })],
      ['contextMasking', (z, m) => contextMasking(z, m)],
      ['objectMasking', (z, m) => objectMasking(z, m)],
      ['guidedCutout', (z, m, rng) => guidedCutout(z, m, { rng, minPixels: 4 })],
      [
        'vat',
        (z, _m, rng) => {
          const k = rng.normalTensor([1, 1, 3, 5]) as tf.Tensor4D;
          const r = vatPerturbation(z, (x) => tf.conv2d(x, k, 1, 'valid'), { rng, xi: 0.1 });
          k.dispose();
          return r;
        },
      ],
    ];
    for (const [name, fn] of cases) {
      test(`${name} keeps the shape and leaks nothing`, async () => {
        const { rng, z, main } = await setup();
        await expectNoLeaks(() => {
          const out = fn(z, main, rng);
          expect(out.shape).toEqual(shape);
          expect(Array.from(out.dataSync()).every(Number.isFinite)).toBe(true);
          out.dispose();
        });
        tf.dispose([z, main]);
      });
    }

    test('context and object masking are complementary', async () => {
      const { z, main } = await setup();
      tf.tidy(() => {
        const sum = tf.add(contextMasking(z, main), objectMasking(z, main));
        expect(tf.max(tf.abs(tf.sub(sum, z))).dataSync()[0]).toBeLessThan(1e-6);
      });
      tf.dispose([z, main]);
    });

    test('guided cutout erases inside the object box only, and nothing without foreground', async () => {
      const { rng, z, main } = await setup();
      const parts = guidedCutoutParts(z, main, { rng, minPixels: 4 });
      expect(parts.numComponents).toEqual([1, 0]);
      const [box] = parts.boxes[0]!;
      // Object rows/cols 4..11: box side int(0.4·7) = 2 inside [4, 11].
      expect(box![1] - box![0]).toBe(2);
      expect(box![0]).toBeGreaterThanOrEqual(4);
      expect(box![1]).toBeLessThanOrEqual(12);
      const full = parts.cutMaskFull.arraySync() as number[][][];
      expect(full[1]!.flat().every((v) => v === 1)).toBe(true);
      tf.dispose([z, main, parts.cutMaskFull, parts.mask, parts.out]);
    });

    test('guided cutout with host labels read beforehand (as on GPU backends) equals the in-step read; bad labels and offsets are clear errors', async () => {
      const { z, main } = await setup();
      const argmax = tf.argMax(main, 3);
      const labels = (await argmax.data()) as Int32Array;
      argmax.dispose();
      const inStep = guidedCutoutParts(z, main, { rng: new Rng(9), minPixels: 4 });
      const given = guidedCutoutParts(z, main, { rng: new Rng(9), minPixels: 4, labels });
      expect(given.boxes).toEqual(inStep.boxes);
      expect(Array.from(await given.out.data())).toEqual(Array.from(await inStep.out.data()));
      expect(() => guidedCutout(z, main, { labels: labels.subarray(1) })).toThrow(/labels has \d+ values but the main prediction \[2,16,16,\d+\] has B·H·W = 512/);
      expect(() => guidedCutout(z, main, { labels, offsets: [[[0, 0]], [[0, 0], [1, 1]]] })).toThrow(/offsets must be \[B=2, K, 2\], got ragged arrays/);
      tf.dispose([z, main, inStep.cutMaskFull, inStep.mask, inStep.out, given.cutMaskFull, given.mask, given.out]);
    });

    test('VAT perturbation has norm eps and does not differentiate the decoder weights', async () => {
      const { rng, z } = await setup();
      const k = tf.variable(rng.normalTensor([1, 1, 3, 5]));
      const dec = (x: tf.Tensor4D) => tf.conv2d(x, k as unknown as tf.Tensor4D, 1, 'valid');
      const fixed = vatPerturbation(z, dec, { rng: new Rng(5), xi: 0.1, eps: 2 });
      const norms = tf.tidy(() => tf.sqrt(tf.sum(tf.square(fixed), [1, 2, 3])).arraySync() as number[]);
      for (const n of norms) expect(n).toBeCloseTo(2, 4);
      // Gradient of a loss through VAT equals the gradient with r_adv held constant: the power iteration adds nothing.
      const g1 = tf.variableGrads(() => tf.sum(dec(tf.add(z, vatPerturbation(z, dec, { rng: new Rng(5), xi: 0.1, eps: 2 })) as tf.Tensor4D)) as tf.Scalar, [k]);
      const g2 = tf.variableGrads(() => tf.sum(dec(tf.add(z, fixed) as tf.Tensor4D)) as tf.Scalar, [k]);
      const a = g1.grads[k.name]!.dataSync();
      const b = g2.grads[k.name]!.dataSync();
      for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(b[i]!, 4);
      tf.dispose([z, k, fixed, g1.value, g2.value, ...Object.values(g1.grads), ...Object.values(g2.grads)]);
    });
  });
}

describe('connectedComponents', () => {
  test('8-connectivity joins diagonals, 4-connectivity does not; raster order', () => {
    const img = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 1];
    expect(connectedComponents(img, 4, 4, 8).map((c) => c.size)).toEqual([2, 3]);
    expect(connectedComponents(img, 4, 4, 4).map((c) => c.size)).toEqual([1, 1, 3]);
    expect(connectedComponents(img, 4, 4, 8)[1]).toEqual({ r0: 2, r1: 3, c0: 2, c1: 3, size: 3 });
  });
});
