import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, test, vi } from 'vitest';
import { useBackend, type BackendName } from '../backend';
import { Rng } from '../random/rng';
import { testBackends } from '../testing/backends';
import { gradCheck } from '../testing/gradcheck';
import { expectNoLeaks } from '../testing/leaks';
import { crossEntropy } from './cross-entropy';

/** Plain-JS reference (PyTorch semantics with weights, ignore_index and label smoothing), rows of logits. */
function reference(logits: number[][], labels: number[], ignore: number, e: number, w: number[] | null): { none: number[]; mean: number } {
  const c = logits[0]!.length;
  const ws = w ?? new Array<number>(c).fill(1);
  let num = 0;
  let den = 0;
  const none = logits.map((row, i) => {
    const y = labels[i]!;
    if (y === ignore) return 0;
    const mx = Math.max(...row);
    const lse = mx + Math.log(row.reduce((a, v) => a + Math.exp(v - mx), 0));
    const logp = row.map((v) => v - lse);
    const l = (1 - e) * ws[y]! * -logp[y]! + (e / c) * logp.reduce((a, v, k) => a - ws[k]! * v, 0);
    num += l;
    den += ws[y]!;
    return l;
  });
  return { none, mean: den === 0 ? 0 : num / den };
}

for (const backend of testBackends()) {
  describe(`crossEntropy [${backend}]`, () => {
    beforeAll(() => useBackend(backend as BackendName));

    test.each([
      { e: 0, w: null },
      { e: 0.1, w: null },
      { e: 0.2, w: [0.5, 2, 1, 3] },
    ])('matches the reference (smoothing $e, weights $w) for mean / sum / none; gradient matches finite differences', async ({ e, w }) => {
      const rng = new Rng(`ce-${e}`);
      const logitsT = rng.normalTensor([6, 4], 0, 2);
      const labelsArr = [0, 3, 255, 1, 3, 2];
      const labels = tf.tensor1d(labelsArr, 'int32');
      const opts = { ignoreIndex: 255, labelSmoothing: e, classWeights: w ?? undefined };
      const ref = reference(logitsT.arraySync() as number[][], labelsArr, 255, e, w);
      tf.tidy(() => {
        expect(crossEntropy(logitsT, labels, opts).dataSync()[0]).toBeCloseTo(ref.mean, 5);
        expect(crossEntropy(logitsT, labels, { ...opts, reduction: 'sum' }).dataSync()[0]).toBeCloseTo(ref.none.reduce((a, b) => a + b, 0), 4);
        const none = crossEntropy(logitsT, labels, { ...opts, reduction: 'none' });
        expect(none.shape).toEqual([6]);
        Array.from(none.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(ref.none[i]!, 5));
      });
      await gradCheck((l) => crossEntropy(l!, labels, opts) as tf.Scalar, [logitsT]);
      tf.dispose([logitsT, labels]);
    });

    test('validate: labels are checked by default; validate: false reads nothing back from the backend', () => {
      const logits = new Rng('ce-validate').normalTensor([2, 3, 4]);
      const labels = tf.tensor2d([[0, 3, 255], [1, 2, 2]], [2, 3], 'int32');
      const bad = tf.tensor2d([[0, 4, 1], [1, 2, 2]], [2, 3], 'int32');
      const opts = { ignoreIndex: 255, labelSmoothing: 0.1 };
      expect(() => crossEntropy(logits, bad, opts)).toThrow(/label 4 at flat position 1 is out of range \[0, 4\)/);
      expect(() => crossEntropy(logits, bad, { ...opts, validate: true })).toThrow(/label 4/);
      // Every host read (dataSync/arraySync/data of any tensor) goes through the engine's read/readSync.
      const engine = tf.engine();
      const readSync = vi.spyOn(engine, 'readSync');
      const read = vi.spyOn(engine, 'read');
      try {
        const checked = crossEntropy(logits, labels, opts);
        expect(readSync.mock.calls.length + read.mock.calls.length).toBeGreaterThan(0);
        readSync.mockClear();
        read.mockClear();
        const unchecked = crossEntropy(logits, labels, { ...opts, validate: false });
        tf.dispose(crossEntropy(logits, bad, { ...opts, validate: false })); // not checked: no error
        expect(readSync).not.toHaveBeenCalled();
        expect(read).not.toHaveBeenCalled();
        expect(unchecked.dataSync()[0]).toBe(checked.dataSync()[0]);
        tf.dispose([checked, unchecked]);
      } finally {
        readSync.mockRestore();
        read.mockRestore();
        tf.dispose([logits, labels, bad]);
      }
    });

    test('NHWC logits; all-ignored gives 0 with zero gradient (not NaN); no leaks', async () => {
      const logits = new Rng('nhwc').normalTensor([2, 3, 3, 5]);
      const labels = tf.fill([2, 3, 3], 7, 'int32');
      const { value, grad } = tf.valueAndGrad((l: tf.Tensor) => crossEntropy(l, labels, { ignoreIndex: 7 }) as tf.Scalar)(logits);
      expect(value.dataSync()[0]).toBe(0);
      expect(Array.from(grad.dataSync()).every((g) => g === 0)).toBe(true);
      const real = tf.tensor3d(Array.from({ length: 18 }, (_, i) => i % 5), [2, 3, 3], 'int32');
      await expectNoLeaks(() => tf.valueAndGrad((l: tf.Tensor) => crossEntropy(l, real, { labelSmoothing: 0.1 }) as tf.Scalar)(logits), { disposeResult: true });
      tf.dispose([logits, labels, value, grad, real]);
    });
  });
}

describe('crossEntropy validation', () => {
  beforeAll(() => useBackend('cpu'));
  test('bad labels, shapes, dtypes and NaN are rejected naming the argument', () => {
    const logits = tf.zeros([3, 4]);
    expect(() => crossEntropy(logits, tf.tensor1d([0, 4, 1], 'int32'))).toThrow(/label 4 at flat position 1 is out of range \[0, 4\) and is not ignoreIndex \(-100\)/);
    expect(() => crossEntropy(logits, tf.tensor1d([0, -1, 1], 'int32'))).toThrow(/label -1/);
    expect(() => crossEntropy(logits, tf.tensor1d([0, 1], 'int32'))).toThrow(/labels must have shape \[3\] \(logits \[3,4\] without the class axis\), got \[2\]/);
    expect(() => crossEntropy(logits, tf.tensor1d([0, 1, 2]))).toThrow(/labels must be int32, got float32/);
    expect(() => crossEntropy(tf.tensor2d([[0, NaN]]), tf.tensor1d([0], 'int32'))).toThrow(/logits contains NaN/);
    expect(() => crossEntropy(logits, tf.tensor1d([0, 1, 2], 'int32'), { classWeights: [1, 2] })).toThrow(/classWeights must be \[4\], got shape \[2\]/);
    expect(() => crossEntropy(logits, tf.tensor1d([0, 1, 2], 'int32'), { labelSmoothing: 1.5 })).toThrow(/labelSmoothing must be in \[0, 1\], got 1.5/);
  });
});
