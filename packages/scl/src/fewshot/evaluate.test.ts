import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { Rng, useBackend } from '@lel/core';
import type { ImageClassificationArrays } from '../data';
import { describe, expect, test } from 'vitest';
import { SclModel } from '../model';
import { classifyEpisode, evaluateFewShot, extractFeatures } from './evaluate';

function toyData(classes: number, per: number): ImageClassificationArrays {
  const rng = new Rng('fewshot-toy');
  const n = classes * per;
  const labels = Int32Array.from({ length: n }, (_, i) => Math.floor(i / per));
  const images = new Float32Array(n * 32 * 32);
  // Class c lights up a band of rows: separable even by an untrained network's features.
  for (let i = 0; i < n; i++) for (let p = 0; p < 1024; p++) images[i * 1024 + p] = (Math.floor(p / 32 / 4) === labels[i]! ? 1 : 0) * rng.uniform(0.7, 1);
  return { images, labels, n, height: 32, width: 32, channels: 1, classNames: Array.from({ length: classes }, (_, c) => `c${c}`) };
}

describe('few-shot evaluation', () => {
  test('extractFeatures pools the map 2×2 and restores the train mode; no tensors leak', async () => {
    await useBackend('cpu');
    const model = new SclModel({ numClasses: 2, inChannels: 1, channels: [4, 4, 8, 8], featDim: 4, rng: new Rng(0) });
    const x = new Rng(1).uniformTensor([3, 32, 32, 1]) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const f = await extractFeatures(model, x, 2);
    expect(tf.memory().numTensors).toBe(before);
    expect([f.n, f.globalDim, f.spatialDim, f.global.length, f.spatial.length]).toEqual([3, 8, 32, 24, 96]);
    expect(model.training).toBe(true);
    x.dispose();
    model.dispose();
  });

  test('classifyEpisode: logistic regression and ProtoNet on separable features; global, spatial, both', async () => {
    const rng = new Rng(5);
    const mk = (labels: number[], d: number) => Float32Array.from({ length: labels.length * d }, (_, i) => (i % d === labels[Math.floor(i / d)]! ? 1 : 0) + 0.1 * rng.normal());
    const sl = [0, 0, 1, 1, 2, 2];
    const ql = [2, 1, 0, 0, 1, 2];
    const ep = { support: { global: mk(sl, 4), spatial: mk(sl, 6) }, supportLabels: sl, query: { global: mk(ql, 4), spatial: mk(ql, 6) }, globalDim: 4, spatialDim: 6 };
    for (const classifier of ['logreg', 'protonet'] as const) {
      for (const features of ['global', 'spatial', 'both'] as const) {
        expect(Array.from(await classifyEpisode(ep, { classifier, features })), `${classifier}/${features}`).toEqual(ql);
      }
    }
  });

  test('evaluateFewShot runs episodes and reports mean ± CI; support augmentation path works', async () => {
    await useBackend('cpu');
    const data = toyData(6, 4);
    const model = new SclModel({ numClasses: 2, inChannels: 1, channels: [4, 4, 8, 8], featDim: 4, rng: new Rng(0) });
    const r = await evaluateFewShot(model, data, { nWay: 3, kShot: 1, nQuery: 3, episodes: 4, nAugSupport: 1 });
    expect(r.accuracies).toHaveLength(4);
    expect(r.mean).toBeGreaterThan(0.5);
    expect(r.halfWidth).toBeGreaterThanOrEqual(0);
    const p = await evaluateFewShot(model, data, { nWay: 3, kShot: 1, nQuery: 3, episodes: 2, nAugSupport: 2, classifier: 'protonet' });
    expect(p.accuracies).toHaveLength(2);
    model.dispose();
  });

  test('K larger than the available samples → a clear error', async () => {
    await useBackend('cpu');
    const data = toyData(6, 4);
    const model = new SclModel({ numClasses: 2, inChannels: 1, channels: [4, 4, 8, 8], featDim: 4, rng: new Rng(0) });
    await expect(evaluateFewShot(model, data, { nWay: 5, kShot: 5, nQuery: 15, episodes: 2 })).rejects.toThrow(
      /5-way 5-shot episode with 15 queries needs 5 classes with at least 20 images each; only 0 of 6 classes have that many \(largest class: 4 images\)/,
    );
    await expect(evaluateFewShot(model, data, { nWay: 7, kShot: 1, nQuery: 1, episodes: 2 })).rejects.toThrow(/needs 7 classes/);
    await expect(evaluateFewShot(model, data, { kShot: 0 })).rejects.toThrow(/kShot/);
    model.dispose();
  });
});
