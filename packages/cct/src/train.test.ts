import '@tensorflow/tfjs-backend-cpu';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { Rng, useBackend, type Callback } from '@lel/core';
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
        // The weak-label term is logged only in the weak-label variant.
        expect(train.at(-1)!).not.toHaveProperty('weak');
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
    const pseudo = await pseudoLabelsFor(cam, unlabelled, { scales: [1], crf: { iterations: 2, radius: 2 } });
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
    const res = await trainCct({ model, labelled, unlabelled: { ...unlabelled, pseudoLabels: pseudo }, maxSteps: 3, logEvery: 1 });
    expect(res.steps).toBe(3);
    expect(res.history.filter((h) => h.type === 'train').every((h) => typeof h.weak === 'number')).toBe(true);
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

describe('fit options: resume, evaluation, logging, checkpoints, config', () => {
  /** A fresh semi-supervised model, identical for the same call (same init generator). */
  const semiModel = (train: Record<string, unknown> = {}) => {
    const rng = new Rng(11);
    return new CctModel(new SmallConvEncoder({ widths: [4, 4, 6], rng }), {
      numClasses: 3,
      perturbations: { ...ONE_EACH, vat: 0 },
      cutout: { erase: 0.4, minPixels: 2 },
      train: { epochs: 4, labelledBatchSize: 2, unlabelledBatchSize: 3, valEvery: 1, earlyStop: 0, seed: 5, weakLabels: false, ...train },
    }, rng);
  };
  const weights = (m: CctModel) => new Map([...m.stateDict()].map(([k, t]) => [k, Array.from(t.dataSync())]));
  const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'cct-train-'));
  const trainRecords = <R extends { type: string }>(h: R[]) => h.filter((r) => r.type === 'train');

  test('resume continues an interrupted run at the saved step, bit-exactly (mid-epoch, momentum, both data streams)', async () => {
    const labelled = toySet(4, 21);
    const unlabelled = toySet(6, 22);
    const dirA = tmp();
    const dirB = tmp();
    try {
      // The reference: 6 uninterrupted steps (2 per epoch).
      const a = semiModel();
      const ra = await trainCct({ model: a, labelled, unlabelled, maxSteps: 6, runDir: dirA, logEvery: 1 });
      expect(ra.steps).toBe(6);
      const expected = weights(a);
      a.dispose();

      // The same run stopped after 3 steps (in the middle of epoch 1), then continued by a new process.
      const b1 = semiModel();
      const first = await trainCct({ model: b1, labelled, unlabelled, maxSteps: 3, runDir: dirB, logEvery: 1, checkpoint: { every: { steps: 1 } } });
      expect(first.steps).toBe(3);
      b1.dispose();
      const b2 = semiModel();
      const startedAt: number[] = [];
      const probe: Callback<unknown> = { onStepStart: (ctx) => void startedAt.push(ctx.step) };
      const rb = await trainCct({ model: b2, labelled, unlabelled, maxSteps: 6, runDir: dirB, logEvery: 1, resume: 'last', callbacks: [probe] });
      expect(rb.resumedFrom).toMatch(/step-0+3$/);
      expect(startedAt).toEqual([3, 4, 5]);
      expect(rb.steps).toBe(6);
      // Same losses for the continued steps, same final weights, bit for bit.
      const loss = (h: { step: number; loss?: unknown }[]) => h.filter((r) => r.step > 3).map((r) => [r.step, r.loss]);
      expect(loss(trainRecords(rb.history))).toEqual(loss(trainRecords(ra.history)));
      const got = weights(b2);
      expect([...got.keys()]).toEqual([...expected.keys()]);
      for (const [k, v] of expected) expect(got.get(k), k).toEqual(v);
      b2.dispose();
    } finally {
      fs.rmSync(dirA, { recursive: true, force: true });
      fs.rmSync(dirB, { recursive: true, force: true });
      tf.dispose([labelled.images, labelled.labels, unlabelled.images, unlabelled.labels]);
    }
  });

  test('without resume, a run folder with checkpoints is refused (resume is what continues it)', async () => {
    const labelled = toySet(4, 23);
    const unlabelled = toySet(6, 28);
    const dir = tmp();
    const model = semiModel();
    try {
      await trainCct({ model, labelled, unlabelled, maxSteps: 1, runDir: dir });
      await expect(trainCct({ model, labelled, unlabelled, maxSteps: 2, runDir: dir })).rejects.toThrow(/already has checkpoints/);
    } finally {
      model.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
      tf.dispose([labelled.images, labelled.labels, unlabelled.images, unlabelled.labels]);
    }
  });

  test('evaluate / evalEvery replace the val mIoU; logEvery, checkpoint and config reach fit; callbacks see every step', async () => {
    const labelled = toySet(4, 24);
    const unlabelled = toySet(6, 25);
    const dir = tmp();
    const model = semiModel();
    const modes: boolean[] = [];
    const stepsSeen: number[] = [];
    const perStep: Callback<unknown> = { onStepEnd: (ctx) => void stepsSeen.push(ctx.step) };
    const appConfig = { recipe: 'mine', seed: 5, cct: { note: 'the larger config an app trains with' } };
    try {
      let calls = 0;
      const r = await trainCct({
        model,
        labelled,
        unlabelled,
        maxSteps: 4,
        runDir: dir,
        evaluate: (ctx) => {
          modes.push(ctx.model.training);
          return { custom: ++calls };
        },
        evalEvery: { steps: 1 },
        logEvery: 1,
        checkpoint: { every: { steps: 2 }, keepLast: 5, best: { metric: 'custom', mode: 'max' } },
        config: appConfig,
        callbacks: [perStep],
      });
      expect(stepsSeen).toEqual([1, 2, 3, 4]);
      const evals = r.history.filter((h) => h.type === 'eval');
      expect(evals.map((e) => [e.step, e.custom])).toEqual([[1, 1], [2, 2], [3, 3], [4, 4]]);
      expect(evals.every((e) => e.miou === undefined)).toBe(true);
      expect(modes).toEqual([false, false, false, false]);
      expect(trainRecords(r.history).map((h) => h.step)).toEqual([1, 2, 3, 4]);
      expect(fs.readdirSync(path.join(dir, 'checkpoints')).filter((f) => f.startsWith('step-')).sort()).toEqual(['step-000001', 'step-000002', 'step-000003', 'step-000004']);
      expect(r.best).toMatchObject({ metric: 'custom', value: 4, step: 4 });
      expect(JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'))).toEqual(appConfig);
    } finally {
      model.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    }

    // Defaults: evaluation per train.valEvery epochs on val, a train record per 10 steps, model.config saved,
    // checkpoints every epoch; checkpoint: false writes none.
    const dir2 = tmp();
    const dir3 = tmp();
    const m2 = semiModel();
    try {
      const r2 = await trainCct({ model: m2, labelled, unlabelled, val: labelled, maxSteps: 4, runDir: dir2 });
      expect(r2.history.filter((h) => h.type === 'eval').map((e) => e.step)).toEqual([2, 4]);
      expect(r2.history.filter((h) => h.type === 'eval').every((e) => typeof e.miou === 'number')).toBe(true);
      expect(trainRecords(r2.history).map((h) => h.step)).toEqual([4]);
      expect(JSON.parse(fs.readFileSync(path.join(dir2, 'config.json'), 'utf8'))).toEqual(JSON.parse(JSON.stringify(m2.config)));
      expect(fs.readdirSync(path.join(dir2, 'checkpoints')).filter((f) => f.startsWith('step-')).sort()).toEqual(['step-000002', 'step-000004']);
      await trainCct({ model: m2, labelled, unlabelled, maxSteps: 1, runDir: dir3, checkpoint: false });
      expect(fs.existsSync(path.join(dir3, 'checkpoints'))).toBe(false);
    } finally {
      m2.dispose();
      fs.rmSync(dir2, { recursive: true, force: true });
      fs.rmSync(dir3, { recursive: true, force: true });
      tf.dispose([labelled.images, labelled.labels, unlabelled.images, unlabelled.labels]);
    }
  });

  test('early stopping follows train.earlyStop by default and is off with earlyStopping: false', async () => {
    const labelled = toySet(4, 26);
    const unlabelled = toySet(6, 27);
    const flat = () => ({ miou: 0.5 });
    const run = async (earlyStopping?: false) => {
      const model = semiModel({ earlyStop: 1, epochs: 10 });
      try {
        return await trainCct({ model, labelled, unlabelled, evaluate: flat, evalEvery: { steps: 1 }, maxSteps: 5, ...(earlyStopping === false ? { earlyStopping } : {}) });
      } finally {
        model.dispose();
      }
    };
    try {
      const stopped = await run();
      expect(stopped.stopReason).toMatch(/^early stopping: miou/);
      expect(stopped.steps).toBe(2);
      const full = await run(false);
      expect([full.steps, full.stopReason]).toEqual([5, 'maxSteps']);
    } finally {
      tf.dispose([labelled.images, labelled.labels, unlabelled.images, unlabelled.labels]);
    }
  });
});
