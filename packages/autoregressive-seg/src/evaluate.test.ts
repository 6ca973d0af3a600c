import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { Rng, useBackend } from '@lel/core';
import { describe, expect, test } from 'vitest';
import { iicViews, unflip } from './augment';
import { hungarianPixelAccuracy, scoreClusters } from './evaluate';
import { evaluateArSeg } from './evaluate-model';
import { ArSegModel } from './model';

describe('cluster evaluation', () => {
  test('a permuted perfect clustering scores 1 (accuracy and mIoU); ignored pixels are skipped', () => {
    const target = [0, 0, 1, 1, 2, 2, 255, 255];
    const pred = [2, 2, 0, 0, 1, 1, 0, 1];
    const r = scoreClusters(pred, target, { numClusters: 3 });
    expect(r.mapping).toEqual([1, 2, 0]);
    expect(r.accuracy).toBe(1);
    expect(r.numValid).toBe(6);
    expect(r.miou).toBeCloseTo(1, 6);
  });

  test('one-to-one: two classes cannot both be matched to one cluster', () => {
    const r = hungarianPixelAccuracy([0, 0, 0, 0, 1, 1], [0, 0, 1, 1, 1, 1], { numClusters: 2 });
    expect(r.matched).toBe(4); // cluster 0 → class 0 (2) + cluster 1 → class 1 (2)
    expect(r.accuracy).toBeCloseTo(4 / 6, 12);
  });

  test('rejects out-of-range clusters and classes by name', () => {
    expect(() => hungarianPixelAccuracy([3], [0], { numClusters: 3 })).toThrow(/pred\[0\]/);
    expect(() => hungarianPixelAccuracy([0], [7], { numClusters: 3 })).toThrow(/target\[0\]/);
    expect(() => hungarianPixelAccuracy([0, 1], [0], { numClusters: 3 })).toThrow(/elements/);
  });

  test('evaluateArSeg scores the unmasked prediction and restores train mode', async () => {
    await useBackend('cpu');
    const rng = new Rng(0);
    const model = new ArSegModel({ inChannels: 1, numClusters: 2, stemChannels: 2, numBlocks: 1 }, rng);
    const n = 3;
    const data = { images: Float32Array.from({ length: n * 64 }, () => rng.uniform()), n, height: 8, width: 8, channels: 1, masks: new Int32Array(n * 64).map((_, i) => i % 2), numClasses: 2 };
    const r = await evaluateArSeg(model, data, { batchSize: 2 });
    expect(r.numValid).toBe(n * 64);
    expect(r.accuracy).toBeGreaterThanOrEqual(0.5);
    expect(model.training).toBe(true);
    await expect(evaluateArSeg(model, { ...data, numClasses: 3 })).rejects.toThrow(/numClusters/);
    model.dispose();
  });
});

describe('IIC baseline views', () => {
  test('unflip inverts the per-sample flip; views stay in [0, 1]', async () => {
    await useBackend('cpu');
    const rng = new Rng(4);
    const x = rng.uniformTensor([4, 3, 5, 2]) as tf.Tensor4D;
    const { v1, v2, flipped } = iicViews(x, rng, { jitter: 0.3, flipProbability: 0.5 });
    expect(flipped.length).toBe(4);
    for (const v of [v1, v2]) {
      expect(tf.min(v).dataSync()[0]).toBeGreaterThanOrEqual(0);
      expect(tf.max(v).dataSync()[0]).toBeLessThanOrEqual(1);
    }
    const noJitter = iicViews(x, new Rng(9), { jitter: 0, flipProbability: 1 });
    const back = unflip(noJitter.v2, noJitter.flipped);
    const diff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
    expect(diff(back, x)).toBeLessThan(1e-6);
    expect(diff(noJitter.v2, x)).toBeGreaterThan(0.01);
    tf.dispose([x, v1, v2, noJitter.v1, noJitter.v2, back]);
  });
});
