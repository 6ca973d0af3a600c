import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { Rng, useBackend } from '@lel/core';
import { beforeAll, describe, expect, test } from 'vitest';
import { labelledBatches, type SegmentationSet } from './data';
import { SmallConvEncoder } from './encoder';
import { CctModel } from './model';
import { trainCct } from './train';

beforeAll(async () => {
  await useBackend('cpu');
});

function toySet(n: number, seed: number, numClasses = 3): SegmentationSet {
  if (numClasses > 3) throw new Error('toySet: at most 3 classes');
  const rng = new Rng(seed);
  return tf.tidy(() => {
    const labels = tf.tensor3d(Array.from({ length: n * 64 }, () => rng.int(numClasses)), [n, 8, 8], 'int32');
    // The image is the one-hot label plus noise: a learnable toy task with 3 channels.
    const images = tf.add(tf.cast(tf.oneHot(labels, 3), 'float32'), rng.uniformTensor([n, 8, 8, 3], 0, 0.1));
    return { images: images as tf.Tensor4D, labels };
  });
}

const ONE_EACH = { vat: 1, dropout: 1, cutout: 1, contextMasking: 1, objectMasking: 1, featureDrop: 1, featureNoise: 1 };

describe('training recipe', () => {
  test('labelled batches: every pass is a fresh permutation, never a replay of the first pass', () => {
    const set = toySet(4, 0);
    const ids = tf.tidy(() => tf.sum(set.images, [1, 2, 3]).arraySync() as number[]);
    const seen: number[][] = [];
    for (const b of labelledBatches(set, 2, 12, new Rng(1), null)) {
      const s = tf.tidy(() => tf.sum(b.images, [1, 2, 3]).arraySync() as number[]);
      seen.push(s.map((v) => ids.findIndex((x) => Math.abs(x - v) < 1e-3)));
      tf.dispose([b.images, b.labels]);
    }
    // 12 batches of 2 = 6 passes of 4 images; each pass covers every image once.
    const passes = Array.from({ length: 6 }, (_, p) => [...seen[2 * p]!, ...seen[2 * p + 1]!]);
    for (const p of passes) expect([...p].sort()).toEqual([0, 1, 2, 3]);
    expect(new Set(passes.map((p) => p.join(','))).size).toBeGreaterThan(1);
    tf.dispose([set.images, set.labels]);
  });

  test('CCT and the baseline train through fit, with the ramp-up, without leaking', async () => {
    const labelled = toySet(4, 1);
    const unlabelled = toySet(6, 2);
    const before = tf.memory().numTensors;
    for (const mode of ['semi', 'supervised'] as const) {
      const rng = new Rng(3);
      const model = new CctModel(new SmallConvEncoder({ widths: [4, 4, 6], rng }), {
        numClasses: 3,
        mode,
        perturbations: ONE_EACH,
        cutout: { erase: 0.4, minPixels: 2 },
        train: { epochs: 10, labelledBatchSize: 2, unlabelledBatchSize: 3, valEvery: 1, earlyStop: 0, seed: 0, weakLabels: false },
      }, rng);
      const r = await trainCct({ model, labelled, unlabelled: mode === 'semi' ? unlabelled : undefined, val: labelled, maxSteps: 4 });
      expect([r.steps, r.stopReason]).toEqual([4, 'maxSteps']);
      expect(Number.isFinite(r.lastLoss)).toBe(true);
      if (mode === 'semi') {
        expect(r.itersPerEpoch).toBe(2); // ceil(6 unlabelled / 3)
        expect(r.rampupLength).toBe(2); // int(0.1 · 10 epochs) · 2
        const train = r.history.filter((h) => h.type === 'train');
        expect(train.length).toBeGreaterThan(0);
        expect(train.at(-1)!.weightU).toBeGreaterThan(0);
      }
      model.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([labelled.images, labelled.labels, unlabelled.images, unlabelled.labels]);
  });

  test('a dataset whose labels exceed numClasses is refused before training', async () => {
    const labelled = toySet(2, 4, 3);
    const model = new CctModel(new SmallConvEncoder({ widths: [4, 4, 4] }), { numClasses: 2, mode: 'supervised' });
    await expect(trainCct({ model, labelled })).rejects.toThrow(/numClasses \(2\) does not match the dataset/);
    await expect(trainCct({ model: new CctModel(new SmallConvEncoder({ widths: [4, 4, 4] }), { numClasses: 3 }), labelled })).rejects.toThrow(/needs an unlabelled set/);
    model.dispose();
    tf.dispose([labelled.images, labelled.labels]);
  });
});

describe('weak-label variant and inference', () => {
  test('CAM classifier → pseudo-labels → CCT with the weak term; multi-scale + flip inference', async () => {
    const { CamClassifier } = await import('./weak-labels');
    const { trainCamClassifier, pseudoLabelsFor } = await import('./weak-training');
    const { predictLogits } = await import('./inference');
    const labelled = toySet(2, 5);
    const unlabelled = toySet(4, 6);
    const before = tf.memory().numTensors;
    const rng = new Rng(7);
    const cam = new CamClassifier(new SmallConvEncoder({ widths: [4, 4, 4], rng }), 3, rng);
    const r = await trainCamClassifier(cam, unlabelled, { epochs: 1, batchSize: 2 });
    expect(r.steps).toBe(2);
    const pseudo = pseudoLabelsFor(cam, unlabelled, { scales: [1], crf: { iterations: 2, radius: 2 } });
    expect(pseudo.shape).toEqual([4, 8, 8]);
    const values = new Set(pseudo.dataSync());
    for (const v of values) expect([0, 1, 2, 255]).toContain(v);
    cam.dispose();
    const model = new CctModel(new SmallConvEncoder({ widths: [4, 4, 6], rng }), {
      numClasses: 3,
      perturbations: ONE_EACH,
      cutout: { erase: 0.4, minPixels: 2 },
      train: { epochs: 10, labelledBatchSize: 2, unlabelledBatchSize: 2, valEvery: 1, earlyStop: 0, seed: 0, weakLabels: true },
    }, rng);
    await expect(trainCct({ model, labelled, unlabelled, maxSteps: 1 })).rejects.toThrow(/pseudoLabels/);
    const res = await trainCct({ model, labelled, unlabelled: { ...unlabelled, pseudoLabels: pseudo }, maxSteps: 3 });
    expect(res.steps).toBe(3);
    model.eval();
    const logits = predictLogits(model, labelled.images, { scales: [0.5, 1, 1.5], flip: true });
    expect(logits.shape).toEqual([2, 8, 8, 3]);
    logits.dispose();
    model.dispose();
    pseudo.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([labelled.images, labelled.labels, unlabelled.images, unlabelled.labels]);
  });
});
