import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '@tensorflow/tfjs-backend-wasm';
import { Rng, useBackend } from '@lel/core';
import { afterAll, describe, expect, test } from 'vitest';
import { evaluateArSeg } from './evaluate-model';
import { trainArSeg } from './train';
import { imageBatch, type StreamingImageSet } from './data';

const dir = mkdtempSync(join(tmpdir(), 'arseg-train-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Two-region images: a bright and a dark region split at a random column, plus noise; masks = region ids. */
function twoRegions(n: number, seed: number) {
  const rng = new Rng(seed);
  const s = 8;
  const images = new Float32Array(n * s * s);
  const masks = new Int32Array(n * s * s);
  for (let i = 0; i < n; i++) {
    const cut = 2 + rng.int(5);
    const brightLeft = rng.uniform() < 0.5;
    for (let y = 0; y < s; y++) {
      for (let x = 0; x < s; x++) {
        const left = x < cut;
        const bright = left === brightLeft;
        images[i * s * s + y * s + x] = (bright ? 0.8 : 0.2) + rng.normal(0, 0.05);
        masks[i * s * s + y * s + x] = bright ? 1 : 0;
      }
    }
  }
  return { images, masks, n, height: s, width: s, channels: 1, numClasses: 2 };
}

describe('trainArSeg', () => {
  test('AC drives the MI loss towards −ln 2 without labels and logs its loss parts and evaluation', async () => {
    await useBackend('wasm');
    const train = twoRegions(32, 1);
    const test = twoRegions(16, 2);
    const runDir = join(dir, 'ac');
    const { model, result } = await trainArSeg(
      train,
      { inChannels: 1, numClusters: 2, stemChannels: 8, numBlocks: 1, halfT: 0, lr: 1e-2, batchSize: 8, steps: 40, seed: 0 },
      { runDir, evalData: test, evalEvery: 40 },
    );
    expect(result.steps).toBe(40);
    // At initialisation the loss is ≈ 0 (near-uniform, independent predictions); −ln 2 ≈ −0.69 is the optimum.
    const first = result.history.find((r) => typeof r.loss === 'number')!.loss as number;
    expect(first).toBeGreaterThan(-0.2);
    expect(result.lastLoss).toBeLessThan(-0.45);
    // Which 2-way split maximises MI is not identified without labels (location is as consistent a signal as
    // intensity), so only check that evaluation runs on the trained model.
    const scores = await evaluateArSeg(model, test);
    expect(scores.numValid).toBe(16 * 64);
    const log = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8');
    expect(log).toMatch(/"mi"/);
    expect(log).toMatch(/"pixelAccuracy"/);
    model.dispose();
  });

  test('config errors name the key; halfT must fit the image', async () => {
    const data = twoRegions(4, 0);
    await expect(trainArSeg(data, { inChannels: 1, orderingPolicy: 'sometimes' as never })).rejects.toThrow(/orderingPolicy/);
    await expect(trainArSeg(data, { inChannels: 1, typo: 1 } as never)).rejects.toThrow(/typo/);
    await expect(trainArSeg(data, { inChannels: 1, halfT: 10 })).rejects.toThrow(/halfT/);
    await expect(trainArSeg(data, { inChannels: 3, halfT: 1 })).rejects.toThrow(/channels/);
  });
});

describe('arSeg on streamed images', () => {
  test('a StreamingImageSet trains exactly as the same images in memory (same order, same weights)', async () => {
    await useBackend('wasm');
    const data = twoRegions(12, 3);
    const asked: number[][] = [];
    const streamed: StreamingImageSet = {
      n: data.n,
      height: data.height,
      width: data.width,
      channels: data.channels,
      async *batches(indexBatches) {
        for (const idx of indexBatches) {
          asked.push([...idx]);
          yield imageBatch(data, idx);
        }
      },
    };
    const config = { inChannels: 1, numClusters: 2, stemChannels: 4, numBlocks: 1, halfT: 1, batchSize: 4, steps: 5, seed: 4 };
    const a = await trainArSeg(data, config);
    const b = await trainArSeg(streamed, config);
    try {
      // 3 batches per epoch (12 / 4), 5 steps: two passes, the second cut short.
      expect(asked.length).toBeGreaterThanOrEqual(5);
      expect(b.result.steps).toBe(5);
      for (const [k, t] of a.model.stateDict()) expect(Array.from(await b.model.stateDict().get(k)!.data()), k).toEqual(Array.from(await t.data()));
    } finally {
      a.model.dispose();
      b.model.dispose();
    }
  });
});
