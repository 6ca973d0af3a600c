import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { computeGradients, Rng, useBackend } from '@lel/core';
import { expectNoLeaks, gradCheck, testBackends } from '@lel/core/testing';
import { beforeAll, describe, expect, test } from 'vitest';
import { gaussianKl } from './gaussian-kl';
import { VibHead, vibHiddenSizes } from './vib-head';
import { klWeight, vibLoss } from './vib-loss';

const values = (t: tf.Tensor) => Array.from(t.dataSync());

describe.each(testBackends())('VIB head and losses [%s]', (backend) => {
  beforeAll(async () => {
    await useBackend(backend as never);
  });

  test('hidden sizes follow the official code: K = 384 on BERT-base gives H = 576, I = 672', () => {
    expect(vibHiddenSizes(768, 384)).toEqual({ hidden: 576, intermediate: 672 });
  });

  test('inference is deterministic: eval mode uses μ only, whatever the generator', async () => {
    const rng = new Rng(1);
    const head = new VibHead(10, 3, { ibDim: 4, sampleSize: 5, rng });
    const h = rng.normalTensor([6, 10]);
    await expectNoLeaks(() => {
      head.eval();
      tf.tidy(() => {
        const a = head.forward(h, { rng: new Rng(7) });
        const b = head.forward(h, { rng: new Rng(8) });
        expect(a.z.shape).toEqual([1, 6, 4]);
        expect(values(a.logits)).toEqual(values(b.logits));
        const fromMu = head.classifier.forward(a.mu);
        expect(values(a.logits)).toEqual(values(fromMu));
      });
    });
    // Training mode samples: two generators give different logits, S samples each.
    head.train();
    tf.tidy(() => {
      const a = head.forward(h, { rng: new Rng(7) });
      const b = head.forward(h, { rng: new Rng(8) });
      expect(a.sampledLogits.shape).toEqual([5, 6, 3]);
      expect(values(a.logits)).not.toEqual(values(b.logits));
    });
    head.dispose();
    h.dispose();
  });

  test('the deterministic ablation does not sample in training', () => {
    const rng = new Rng(2);
    const head = new VibHead(8, 2, { ibDim: 3, deterministic: true, dropout: 0, rng });
    const h = rng.normalTensor([4, 8]);
    tf.tidy(() => {
      head.train();
      const a = head.forward(h);
      expect(a.z.shape).toEqual([1, 4, 3]);
      head.eval();
      expect(values(a.logits)).toEqual(values(head.forward(h).logits));
    });
    head.dispose();
    h.dispose();
  });

  test('KL is >= 0, and 0 when the posterior equals the prior', () => {
    const rng = new Rng(3);
    tf.tidy(() => {
      for (let trial = 0; trial < 5; trial++) {
        const { kl, perSample } = gaussianKl(rng.normalTensor([7, 5], 0, 2), tf.softplus(rng.normalTensor([7, 5])), rng.normalTensor([5]), tf.softplus(rng.normalTensor([5])));
        expect(Math.min(...values(perSample))).toBeGreaterThanOrEqual(0);
        expect(kl.dataSync()[0]!).toBeGreaterThan(0);
      }
      const muP = rng.normalTensor([5]);
      const stdP = tf.softplus(rng.normalTensor([5]));
      const { kl, perSample } = gaussianKl(tf.tile(tf.expandDims(muP, 0), [3, 1]), tf.tile(tf.expandDims(stdP, 0), [3, 1]), muP, stdP);
      expect(Math.abs(kl.dataSync()[0]!)).toBeLessThan(1e-5);
      for (const v of values(perSample)) expect(Math.abs(v)).toBeLessThan(1e-5);
    });
  });

  test('gaussianKl matches finite differences in all four arguments', async () => {
    const rng = new Rng(4);
    const inputs = [rng.normalTensor([3, 4]), tf.add(tf.softplus(rng.normalTensor([3, 4])), 0.3), rng.normalTensor([4]), tf.add(tf.softplus(rng.normalTensor([4])), 0.3)];
    await gradCheck((a, b, c, d) => gaussianKl(a!, b!, c!, d!).kl, inputs, { eps: 1e-2 });
    tf.dispose(inputs);
  });

  test('gradients of the VIB loss flow to μ, σ, the prior and the classifier', async () => {
    const rng = new Rng(5);
    const head = new VibHead(6, 3, { ibDim: 4, sampleSize: 3, dropout: 0, rng });
    const h = rng.normalTensor([5, 6]);
    const y = tf.tensor1d([0, 1, 2, 1, 0], 'int32');
    const eps = rng.normalTensor([3, 5, 4]);
    const { grads } = await computeGradients(() => vibLoss(head.forward(h, { eps }), y, { beta: 0.5 }), head.trainableParameters());
    for (const name of ['emb2mu.weight', 'emb2std.weight', 'mu_p', 'std_p', 'classifier.weight', 'mlp.0.weight']) {
      const g = grads.get(name);
      expect(g, `no gradient for ${name}`).toBeDefined();
      expect(tf.tidy(() => tf.max(tf.abs(g!)).dataSync()[0]!), `zero gradient for ${name}`).toBeGreaterThan(0);
    }
    // With β = 0 the prior gets no gradient: the KL is reported, not trained.
    const zero = await computeGradients(() => vibLoss(head.forward(h, { eps }), y, { beta: 0 }), head.trainableParameters());
    expect(zero.grads.has('mu_p')).toBe(false);
    tf.dispose([...grads.values(), ...zero.grads.values(), h, y, eps]);
    head.dispose();
  });

  test('vibLoss averages the task loss over samples and adds the annealed KL', () => {
    tf.tidy(() => {
      const rng = new Rng(6);
      const inputs = { sampledLogits: rng.normalTensor([2, 3, 4]), mu: rng.normalTensor([3, 2]), std: tf.softplus(rng.normalTensor([3, 2])), priorMu: tf.zeros([2]), priorStd: tf.ones([2]) };
      const y = tf.tensor1d([3, 0, 1], 'int32');
      const e1 = vibLoss(inputs, y, { beta: 0.25, epoch: 1 });
      const e2 = vibLoss(inputs, y, { beta: 0.25, epoch: 2 });
      const task = e1.task.dataSync()[0]!;
      const kl = e1.kl.dataSync()[0]!;
      expect(e1.total.dataSync()[0]!).toBeCloseTo(task + 0.25 * kl, 4);
      expect(e2.total.dataSync()[0]!).toBeCloseTo(task + 0.5 * kl, 4);
    });
  });
});

describe('VIB validation', () => {
  test('klWeight anneals linearly with a 1-based epoch and saturates at 1', () => {
    expect(klWeight(0.1, 3)).toBeCloseTo(0.3, 12);
    expect(klWeight(0.5, 5)).toBe(1);
    expect(klWeight(0.5, 5, 'none')).toBe(0.5);
    expect(() => klWeight(0.1, 0)).toThrow(/epoch must be a 1-based integer/);
    expect(() => klWeight(-1, 1)).toThrow(/beta must be/);
  });

  test('bad shapes are rejected naming the argument', () => {
    const head = new VibHead(6, 2, { ibDim: 3, sampleSize: 2 });
    tf.tidy(() => {
      expect(() => head.forward(tf.zeros([4, 5]))).toThrow(/h has 5 features/);
      expect(() => head.forward(tf.zeros([4, 6]), { eps: tf.zeros([2, 4, 4]) })).toThrow(/eps must have shape \[2,4,3\]/);
      expect(() => gaussianKl(tf.zeros([2, 3]), tf.ones([2, 3]), tf.zeros([4]), tf.ones([4]))).toThrow(/K = 3/);
      const inputs = { sampledLogits: tf.zeros([2, 3, 2]), mu: tf.zeros([3, 2]), std: tf.ones([3, 2]), priorMu: tf.zeros([2]), priorStd: tf.ones([2]) };
      expect(() => vibLoss(inputs, tf.tensor1d([0, 1], 'int32'), { beta: 1 })).toThrow(/labels must have shape \[3\]/);
      expect(() => vibLoss(inputs, tf.tensor1d([0, 1, 1]), { beta: 1 })).toThrow(/labels must be int32/);
      expect(() => vibLoss(inputs, tf.tensor1d([0, 1, 1]), { beta: 1, task: 'regression' })).toThrow(/regression needs one output/);
    });
    expect(() => new VibHead(6, 0)).toThrow(/numLabels must be a positive integer/);
    head.dispose();
  });
});
