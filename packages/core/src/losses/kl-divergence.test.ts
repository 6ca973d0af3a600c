import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { useBackend, type BackendName } from '../backend';
import { Rng } from '../random/rng';
import { testBackends } from '../testing/backends';
import { gradCheck } from '../testing/gradcheck';
import { klDivergence } from './kl-divergence';

const softmaxRow = (r: number[]) => {
  const m = Math.max(...r);
  const e = r.map((v) => Math.exp(v - m));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / z);
};

for (const backend of testBackends()) {
  describe(`klDivergence [${backend}]`, () => {
    beforeAll(() => useBackend(backend as BackendName));

    test('klDivergence: reductions match the reference, KL(p‖p) = 0, gradients in both inputs', async () => {
      const rng = new Rng('kl');
      const p = rng.normalTensor([3, 2, 4]);
      const q = rng.normalTensor([3, 2, 4]);
      const pa = (p.arraySync() as number[][][]).flat();
      const qa = (q.arraySync() as number[][][]).flat();
      let sum = 0;
      pa.forEach((row, i) => {
        const ps = softmaxRow(row);
        const qs = softmaxRow(qa[i]!);
        ps.forEach((pv, k) => (sum += pv * Math.log(pv / qs[k]!)));
      });
      tf.tidy(() => {
        expect(klDivergence(p, q).dataSync()[0]).toBeCloseTo(sum / 3, 5);
        expect(klDivergence(p, q, { reduction: 'sum' }).dataSync()[0]).toBeCloseTo(sum, 4);
        expect(klDivergence(p, q, { reduction: 'mean' }).dataSync()[0]).toBeCloseTo(sum / 24, 5);
        expect(klDivergence(p, q, { reduction: 'none' }).shape).toEqual([3, 2, 4]);
        expect(klDivergence(p, p).dataSync()[0]).toBeCloseTo(0, 6);
      });
      await gradCheck((a, b) => klDivergence(a!, b!) as tf.Scalar, [p, q]);
      tf.dispose([p, q]);
    });
  });
}

describe('klDivergence validation', () => {
  beforeAll(() => useBackend('cpu'));
  test('bad input is rejected naming the argument', () => {
    const a = tf.zeros([2, 3]);
    expect(() => klDivergence(a, tf.zeros([2, 4]))).toThrow(/pLogits and qLogits must have the same shape, got \[2,3\] and \[2,4\]/);
    expect(() => klDivergence(a, a, { reduction: 'avg' as never })).toThrow(/reduction must be 'batchmean', 'mean', 'sum' or 'none', got "avg"/);
  });
});
