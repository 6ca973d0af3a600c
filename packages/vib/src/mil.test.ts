import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { computeGradients, Rng, useBackend } from '@lel/core';
import { expectNoLeaks, testBackends } from '@lel/core/testing';
import { beforeAll, describe, expect, test } from 'vitest';
import { infoLoss, relaxedBernoulliMask } from './bernoulli-mask';
import { makeMilBags } from './bags';
import { milIbLoss } from './mil-loss';
import { BernoulliMaskMil } from './mil-model';

describe.each(testBackends())('Bernoulli-mask MIL [%s]', (backend) => {
  beforeAll(async () => {
    await useBackend(backend as never);
  });

  test('training samples a relaxed mask; test time keeps the top-k instances, deterministically', async () => {
    const rng = new Rng(1);
    const model = new BernoulliMaskMil({ inputDim: 6, hiddenDim: 8, attentionDim: 4, topK: 3, numSamples: 4, rng });
    const x = rng.normalTensor([5, 6]);
    await expectNoLeaks(() => {
      tf.tidy(() => {
        model.train();
        const out = model.forward(x, { rng: new Rng(2) });
        expect(out.mask!.shape).toEqual([5]);
        expect(out.attention.shape).toEqual([1, 5]);
        expect(out.kept).toBeNull();
        model.eval();
        const a = model.forward(x);
        const b = model.forward(x);
        expect(a.mask).toBeNull();
        expect(a.attention.shape).toEqual([1, 3]);
        const s = Array.from(a.gateLogits!.dataSync());
        const top = [...s.keys()].sort((i, j) => s[j]! - s[i]!).slice(0, 3);
        expect(Array.from(a.kept!.dataSync())).toEqual(top);
        expect(Array.from(a.logits.dataSync())).toEqual(Array.from(b.logits.dataSync()));
      });
    });
    model.dispose();
    x.dispose();
  });

  test('an empty bag is a clear error', () => {
    const model = new BernoulliMaskMil({ inputDim: 4, hiddenDim: 4, attentionDim: 2 });
    tf.tidy(() => {
      expect(() => model.forward(tf.zeros([0, 4]))).toThrow(/bag is empty/);
      expect(() => relaxedBernoulliMask(tf.zeros([0]), tf.zeros([0, 10]), tf.zeros([0, 3]))).toThrow(/bag is empty/);
      expect(() => infoLoss(tf.zeros([0]))).toThrow(/bag is empty/);
      expect(() => model.forward(tf.zeros([3, 5]))).toThrow(/x has 5 features/);
    });
    model.dispose();
  });

  test('gradients reach the gate through the relaxed mask and the info loss', async () => {
    const rng = new Rng(3);
    const model = new BernoulliMaskMil({ inputDim: 5, hiddenDim: 6, attentionDim: 3, dropout: 0, rng });
    const x = rng.normalTensor([7, 5]);
    const u = rng.uniformTensor([7, 10]);
    const y = tf.tensor1d([1], 'int32');
    const { grads, parts } = await computeGradients(() => milIbLoss(model.forward(x, { u }), y), model.trainableParameters());
    expect(parts.info).toBeGreaterThan(0);
    for (const n of ['gate.weight', 'fc.weight', 'pool.attention_a.weight', 'pool.classifier.weight']) {
      expect(tf.tidy(() => tf.max(tf.abs(grads.get(n)!)).dataSync()[0]!), n).toBeGreaterThan(0);
    }
    tf.dispose([...grads.values(), x, u, y]);
    model.dispose();
  });

  test('the loss is 0.7·CE + 0.1·info; without the IB it is the plain CE', () => {
    tf.tidy(() => {
      const logits = tf.tensor2d([[0.3, -0.2]]);
      const s = tf.tensor1d([1, -2, 0.5]);
      const y = tf.tensor1d([0], 'int32');
      const p = milIbLoss({ logits, gateLogits: s }, y);
      const ce = p.ce.dataSync()[0]!;
      const info = p.info.dataSync()[0]!;
      expect(p.total.dataSync()[0]!).toBeCloseTo(0.7 * ce + 0.1 * info, 6);
      const plain = milIbLoss({ logits, gateLogits: null }, y);
      expect(plain.total.dataSync()[0]!).toBeCloseTo(ce, 6);
    });
  });
});

describe('makeMilBags', () => {
  test('positive bags hold the positive class, negative bags do not', () => {
    const dim = 2;
    const labels = Int32Array.from({ length: 60 }, (_, i) => i % 3);
    const features = Float32Array.from({ length: 60 * dim }, (_, k) => labels[Math.floor(k / dim)]!);
    const bags = makeMilBags(features, labels, dim, { numBags: 20, positiveClass: 2, bagSize: [3, 6], seed: 1 });
    expect(bags.filter((b) => b.label === 1).length).toBe(10);
    for (const b of bags) {
      const cls = Array.from({ length: b.n }, (_, i) => b.features[i * dim]!);
      expect(b.n).toBeGreaterThanOrEqual(3);
      expect(b.n).toBeLessThanOrEqual(6);
      expect(cls.includes(2)).toBe(b.label === 1);
      expect(b.positives).toEqual(cls.flatMap((c, i) => (c === 2 ? [i] : [])));
    }
    expect(() => makeMilBags(features, labels, dim, { numBags: 2, positiveClass: 7 })).toThrow(/no instance has the positive class 7/);
    expect(() => makeMilBags(features.subarray(1), labels, dim, { numBags: 2, positiveClass: 1 })).toThrow(/features has 119 values/);
  });
});
