import '@tensorflow/tfjs-backend-wasm';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend, type Callback } from '@lel/core';
import { beforeAll, describe, expect, test } from 'vitest';
import type { SclModel } from './model';
import { trainScl, trainSclDistill } from './train';
import { toyData } from './toy-data.fixture';

beforeAll(async () => {
  await useBackend('wasm');
});


// 12 images in batches of 4: 3 steps per epoch; the default dropRate (0.1: dropout in stages 1–2, DropBlock in 3–4).
const CFG = { channels: [4, 4, 8, 8] as [number, number, number, number], featDim: 4, dropBlockSize: 1, batchSize: 4, epochs: 3, lrMilestones: [2], seed: 7 };
const DISTILL = { channels: CFG.channels, dropBlockSize: 1, batchSize: 4, epochs: 2, lrMilestones: [1], lambdaSpatial: 1, seed: 8 };

const weights = (m: SclModel) => new Map([...m.stateDict()].map(([k, t]) => [k, Array.from(t.dataSync())]));
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'scl-train-'));
const lossesAfter = (h: { type: string; step: number; loss?: unknown }[], step: number) => h.filter((r) => r.type === 'train' && r.step > step).map((r) => [r.step, r.loss]);

describe('trainScl fit options', () => {
  test('resume continues an interrupted run at the saved step with the same weights, bit-exactly', async () => {
    const data = toyData(12, 3, 0);
    const dirA = tmp();
    const dirB = tmp();
    try {
      const a = await trainScl(data, CFG, { maxSteps: 5, runDir: dirA, logEvery: 1 });
      const expected = weights(a.model);
      a.model.dispose();

      // Stopped after 2 steps (mid-epoch 0), then continued from the run folder's last checkpoint.
      const first = await trainScl(data, CFG, { maxSteps: 2, runDir: dirB, logEvery: 1 });
      expect(first.result.lastCheckpoint).toMatch(/step-0+2$/);
      first.model.dispose();
      const startedAt: number[] = [];
      const probe: Callback = { onStepStart: (ctx) => void startedAt.push(ctx.step) };
      const b = await trainScl(data, CFG, { maxSteps: 5, runDir: dirB, logEvery: 1, resume: 'last', callbacks: [probe] });
      expect(b.result.resumedFrom).toMatch(/step-0+2$/);
      expect(startedAt).toEqual([2, 3, 4]);
      expect(b.result.steps).toBe(5);
      expect(lossesAfter(b.result.history, 2)).toEqual(lossesAfter(a.result.history, 2));
      const got = weights(b.model);
      expect([...got.keys()]).toEqual([...expected.keys()]);
      for (const [k, v] of expected) expect(got.get(k), k).toEqual(v);
      b.model.dispose();
    } finally {
      fs.rmSync(dirA, { recursive: true, force: true });
      fs.rmSync(dirB, { recursive: true, force: true });
    }
  }, 60_000);

  test('resume with the default dropRate replays the dropout / DropBlock masks: weights and losses equal the uninterrupted run', async () => {
    const data = toyData(12, 3, 4);
    const dirA = tmp();
    const dirB = tmp();
    try {
      const a = await trainScl(data, CFG, { maxSteps: 7, runDir: dirA, logEvery: 1 });
      expect(a.config.dropRate).toBe(0.1);
      const expected = weights(a.model);
      const counters = a.model.backbone.blocks.map((b) => b.batchesSeen);
      a.model.dispose();

      // Cut mid-epoch 1 (step 4 of 7), continued in a fresh model whose generator has drawn nothing yet.
      (await trainScl(data, CFG, { maxSteps: 4, runDir: dirB, logEvery: 1, checkpoint: { every: 1 } })).model.dispose();
      const b = await trainScl(data, CFG, { maxSteps: 7, runDir: dirB, logEvery: 1, resume: 'last' });
      expect(b.result.resumedFrom).toMatch(/step-0+4$/);
      const after = lossesAfter(b.result.history, 4);
      expect(after).toHaveLength(3);
      expect(after).toEqual(lossesAfter(a.result.history, 4));
      expect(b.model.backbone.blocks.map((blk) => blk.batchesSeen)).toEqual(counters);
      const got = weights(b.model);
      expect([...got.keys()]).toEqual([...expected.keys()]);
      for (const [k, v] of expected) expect(got.get(k), k).toEqual(v);
      expect(b.result.warnings).toEqual([]);
      b.model.dispose();
    } finally {
      fs.rmSync(dirA, { recursive: true, force: true });
      fs.rmSync(dirB, { recursive: true, force: true });
    }
  }, 60_000);

  test('callbacks run every step; evaluate (on ctx.model, in eval mode) every evalEvery; checkpoint and config reach fit', async () => {
    const data = toyData(12, 3, 1);
    const dir = tmp();
    const stepsSeen: number[] = [];
    const perStep: Callback = { onStepEnd: (ctx) => void stepsSeen.push(ctx.step) };
    const evaluated: { model: unknown; training: boolean }[] = [];
    const appConfig = { recipe: 'mine', scl: { note: 'the larger config an app trains with' } };
    try {
      let calls = 0;
      const r = await trainScl(data, CFG, {
        maxSteps: 4,
        runDir: dir,
        callbacks: [perStep],
        evaluate: (ctx) => {
          evaluated.push({ model: ctx.model, training: ctx.model.training });
          return { score: [0.2, 0.9, 0.5, 0.1][calls++]! };
        },
        evalEvery: { steps: 1 },
        checkpoint: { every: { steps: 100 }, keepLast: 1, best: { metric: 'score', mode: 'max' } },
        config: appConfig,
      });
      expect(stepsSeen).toEqual([1, 2, 3, 4]);
      expect(r.result.history.filter((h) => h.type === 'eval').map((h) => [h.step, h.score])).toEqual([[1, 0.2], [2, 0.9], [3, 0.5], [4, 0.1]]);
      expect(evaluated.every((e) => e.model === r.model && !e.training)).toBe(true);
      // Best by the evaluation (step 2), plus the final checkpoint; nothing every 100 steps.
      expect(r.result.best).toMatchObject({ metric: 'score', value: 0.9, step: 2 });
      expect(fs.readdirSync(path.join(dir, 'checkpoints')).filter((f) => f.startsWith('step-')).sort()).toEqual(['step-000002', 'step-000004']);
      expect(JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'))).toEqual(appConfig);
      r.model.dispose();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }

    // Defaults: no evaluation, the resolved config saved, a checkpoint every epoch; checkpoint: false writes none.
    const dir2 = tmp();
    try {
      const d = await trainScl(data, CFG, { maxSteps: 4, runDir: dir2 });
      expect(d.result.history.some((h) => h.type === 'eval')).toBe(false);
      expect(JSON.parse(fs.readFileSync(path.join(dir2, 'config.json'), 'utf8'))).toEqual(JSON.parse(JSON.stringify(d.config)));
      expect(fs.readdirSync(path.join(dir2, 'checkpoints')).filter((f) => f.startsWith('step-')).sort()).toEqual(['step-000003', 'step-000004']);
      d.model.dispose();
      fs.rmSync(dir2, { recursive: true, force: true });
      const n = await trainScl(data, CFG, { maxSteps: 1, runDir: dir2, checkpoint: false });
      expect(fs.existsSync(path.join(dir2, 'checkpoints'))).toBe(false);
      n.model.dispose();
    } finally {
      fs.rmSync(dir2, { recursive: true, force: true });
    }
  }, 60_000);

  test('a run that fails in fit leaves no tensors behind (the model is disposed)', async () => {
    const data = toyData(12, 3, 2);
    const dir = tmp();
    try {
      (await trainScl(data, CFG, { maxSteps: 1, runDir: dir })).model.dispose();
      const before = tf.memory().numTensors;
      await expect(trainScl(data, CFG, { maxSteps: 2, runDir: dir })).rejects.toThrow(/already has checkpoints/);
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('trainSclDistill fit options', () => {
  test('resume continues the distillation bit-exactly; callbacks, evaluate and config reach fit', async () => {
    const data = toyData(12, 3, 3);
    const teacher = (await trainScl(data, CFG, { maxSteps: 1 })).model;
    const dirA = tmp();
    const dirB = tmp();
    try {
      const a = await trainSclDistill(data, teacher, DISTILL, { maxSteps: 5, runDir: dirA, logEvery: 1 });
      const expected = weights(a.model);
      a.model.dispose();

      const stepsSeen: number[] = [];
      const perStep: Callback = { onStepEnd: (ctx) => void stepsSeen.push(ctx.step) };
      const appConfig = { recipe: 'distill', seed: 8 };
      const first = await trainSclDistill(data, teacher, DISTILL, {
        maxSteps: 2,
        runDir: dirB,
        logEvery: 1,
        callbacks: [perStep],
        evaluate: (ctx) => ({ at: ctx.step }),
        evalEvery: { steps: 1 },
        config: appConfig,
      });
      expect(stepsSeen).toEqual([1, 2]);
      expect(first.result.history.filter((h) => h.type === 'eval').map((h) => h.step)).toEqual([1, 2]);
      expect(JSON.parse(fs.readFileSync(path.join(dirB, 'config.json'), 'utf8'))).toEqual(appConfig);
      first.model.dispose();

      const b = await trainSclDistill(data, teacher, DISTILL, { maxSteps: 5, runDir: dirB, logEvery: 1, resume: 'last', config: appConfig });
      expect(b.result.resumedFrom).toMatch(/step-0+2$/);
      expect(lossesAfter(b.result.history, 2)).toEqual(lossesAfter(a.result.history, 2));
      const got = weights(b.model);
      for (const [k, v] of expected) expect(got.get(k), k).toEqual(v);
      b.model.dispose();
    } finally {
      teacher.dispose();
      fs.rmSync(dirA, { recursive: true, force: true });
      fs.rmSync(dirB, { recursive: true, force: true });
    }
  }, 60_000);
});
