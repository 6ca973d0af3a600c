import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { Rng, useBackend } from '@lel/core';
import { expectNoLeaks, gradCheck, testBackends } from '@lel/core/testing';
import { describe, expect, test } from 'vitest';
import { spatialSimilarity, AttentionSimilarity, type AttentionWeights } from './attention';
import { globalContrastiveLoss, selfSupConLoss, supConLoss } from './contrastive';
import { featureDistance, klDistillation } from './distill-loss';
import { protoNetLogits } from './fewshot/protonet';

function weights(rng: Rng, c: number, d: number): AttentionWeights {
  const m = (r: number, k: number) => rng.normalTensor([r, k], 0, 0.5) as tf.Tensor2D;
  return { q1: m(c, c), q2: m(c, d), k1: m(c, c), k2: m(c, d), v1: m(c, c), v2: m(c, d) };
}

function close(a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-5): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!), `element ${i}: ${a[i]} vs ${b[i]}`).toBeLessThan(tol);
}

describe.each(testBackends())('SCL losses [%s]', (backend) => {
  test('s(a, b) is symmetric: sim(A, B) = sim(B, A)ᵀ, sim(A, A) is symmetric, every aggregation; no leaks', async () => {
    await useBackend(backend as never);
    const rng = new Rng(1);
    const w = weights(rng, 5, 3);
    const a = rng.normalTensor([3, 2, 2, 5]);
    const b = rng.normalTensor([2, 2, 2, 5]);
    for (const aggregation of ['mean', 'sum', 'max', 'logsum'] as const) {
      await expectNoLeaks(() => {
        const ab = spatialSimilarity(a, b, w, { aggregation }).similarity;
        const ba = spatialSimilarity(b, a, w, { aggregation }).similarity;
        const aa = spatialSimilarity(a, a, w, { aggregation }).similarity;
        expect(ab.shape).toEqual([2, 3]);
        const abT = tf.transpose(ab);
        const aaT = tf.transpose(aa);
        close(abT.dataSync(), ba.dataSync());
        close(aa.dataSync(), aaT.dataSync());
        // Per location a sum of two cosines, within [−2, 2]; sum over 4 locations, logsum ≤ max + log(4)/6.
        const bound = { mean: 2, max: 2, sum: 8, logsum: 2 + Math.log(4) / 6 }[aggregation];
        for (const v of ab.dataSync()) expect(Math.abs(v)).toBeLessThanOrEqual(bound + 1e-5);
        tf.dispose([ab, ba, aa, abT, aaT]);
      }, { label: aggregation });
    }
    tf.dispose([a, b, ...Object.values(w)]);
  });

  test('spatial similarity gradients match finite differences (maps and q/k/v weights)', async () => {
    await useBackend(backend as never);
    const rng = new Rng(2);
    const w = weights(rng, 4, 3);
    const a = rng.normalTensor([2, 2, 2, 4]);
    const b = rng.normalTensor([2, 2, 2, 4]);
    const coef = rng.normalTensor([2, 2]);
    for (const aggregation of ['mean', 'logsum'] as const) {
      await gradCheck(
        (ai, bi, q1, k2, v1) => {
          const { similarity } = spatialSimilarity(ai!, bi!, { ...w, q1: q1 as tf.Tensor2D, k2: k2 as tf.Tensor2D, v1: v1 as tf.Tensor2D }, { aggregation });
          return tf.sum(tf.mul(similarity, coef)) as tf.Scalar;
        },
        [a, b, w.q1, w.k2, w.v1],
        { eps: 1e-2, atol: 3e-3, rtol: 3e-2 },
      );
    }
    tf.dispose([a, b, coef, ...Object.values(w)]);
  });

  test('SupCon, self-supervised and global contrastive gradients match finite differences', async () => {
    await useBackend(backend as never);
    const rng = new Rng(3);
    const s = rng.uniformTensor([6, 6], -1, 1);
    const y = tf.tensor1d([0, 1, 0], 'int32');
    const z = rng.normalTensor([6, 4]);
    await gradCheck((x) => supConLoss(x!, y, { inverseTemperature: 2 }).loss, [s], { eps: 1e-2 });
    await gradCheck((x) => supConLoss(x!, y, { inverseTemperature: 2, excludeSelf: false }).loss, [s], { eps: 1e-2 });
    await gradCheck((x) => selfSupConLoss(x!, { inverseTemperature: 2 }).loss, [s], { eps: 1e-2 });
    await gradCheck((x) => globalContrastiveLoss(x!, y, { inverseTemperature: 2 }).loss, [z], { eps: 1e-2 });
    await gradCheck((x) => globalContrastiveLoss(x!, null, { inverseTemperature: 2 }).loss, [z], { eps: 1e-2 });
    tf.dispose([s, y, z]);
  });

  test('distillation terms and ProtoNet logits: gradients match finite differences', async () => {
    await useBackend(backend as never);
    const rng = new Rng(4);
    const fs = rng.normalTensor([2, 2, 2, 3]);
    const ft = rng.normalTensor([2, 2, 2, 3]);
    const ls = rng.normalTensor([3, 5]);
    const lt = rng.normalTensor([3, 5]);
    await gradCheck((x) => featureDistance(x!, ft), [fs]);
    await gradCheck((x) => klDistillation(x!, lt, 4), [ls]);
    const sup = rng.normalTensor([4, 3]);
    const q = rng.normalTensor([3, 3]);
    await gradCheck((a, b) => {
      const { logits } = protoNetLogits(a!, [1, 0, 1, 0], b!);
      return tf.sum(tf.mul(tf.logSoftmax(logits), tf.tensor2d([[1, 0], [0, 1], [1, 0]]))) as tf.Scalar;
    }, [sup, q]);
    tf.dispose([fs, ft, ls, lt, sup, q]);
  });

  test('an identical pair gives distance 0; KL of equal logits is 0', async () => {
    await useBackend(backend as never);
    const f = tf.tensor2d([[1, 2, 3], [-1, 0, 4]]);
    const d = featureDistance(f, f);
    const kl = klDistillation(f, f);
    expect(Math.abs(d.dataSync()[0]!)).toBeLessThan(1e-6);
    expect(Math.abs(kl.dataSync()[0]!)).toBeLessThan(1e-6);
    tf.dispose([f, d, kl]);
  });

  test('bad inputs are rejected with errors naming the argument', async () => {
    await useBackend(backend as never);
    const s = tf.zeros([6, 6]);
    const y5 = tf.tensor1d([0, 1, 0, 1, 0], 'int32');
    const yf = tf.tensor1d([0, 1, 0]);
    const odd = tf.zeros([5, 5]);
    expect(() => supConLoss(s, y5)).toThrow(/labels has 5 entries; expected 6 .* or 3/);
    expect(() => supConLoss(s, yf)).toThrow(/labels must be int32/);
    expect(() => supConLoss(tf.zeros([2, 3]), y5)).toThrow(/square matrix/);
    expect(() => selfSupConLoss(odd)).toThrow(/even number/);
    expect(() => supConLoss(s, y5, { inverseTemperature: 0 })).toThrow(/inverseTemperature/);
    const a = tf.zeros([2, 2, 2, 4]);
    const b = tf.zeros([2, 3, 3, 4]);
    const w = weights(new Rng(0), 4, 2);
    expect(() => spatialSimilarity(a, b, w)).toThrow(/same H, W and C/);
    expect(() => spatialSimilarity(a, a, w, { aggregation: 'median' as never })).toThrow(/unknown aggregation/);
    expect(() => featureDistance(a, b)).toThrow(/same shape/);
    expect(() => protoNetLogits(tf.zeros([2, 3]), [0], tf.zeros([1, 3]))).toThrow(/supportLabels has 1 entries for 2/);
    tf.dispose([s, y5, yf, odd, a, b, ...Object.values(w)]);
  });

  test('AttentionSimilarity names its parameters as the official nn.Sequential heads', async () => {
    await useBackend(backend as never);
    const head = new AttentionSimilarity(6, { innerSize: 2, rng: new Rng(0) });
    expect(head.namedParameters().map(([n, p]) => `${n}:${p.shape}`)).toEqual([
      'query.0.weight:6,6', 'query.2.weight:6,2', 'key.0.weight:6,6', 'key.2.weight:6,2', 'value.0.weight:6,6', 'value.2.weight:6,2',
    ]);
    const x = tf.randomNormal([3, 2, 2, 6]);
    const s = head.forward(x);
    expect(s.shape).toEqual([3, 3]);
    tf.dispose([x, s]);
    head.dispose();
  });
});
