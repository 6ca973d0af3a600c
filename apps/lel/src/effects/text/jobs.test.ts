import * as fs from 'node:fs';
import * as path from 'node:path';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { useBackend } from '@lel/core';
import { CachedLogits } from '@lel/distill';
import { pretrainedBertPath } from '@lel/models/node';
import { tempDir } from '../../testing';
import { PEFT_ARMS } from './peft-arms';
import { runPeftJob } from './peft-job';
import { runVibJob } from './vib-job';
import { runSwaJob } from './swa-job';
import { runKdJob } from './kd-job';
import { sentimentTask, type SentimentTask } from './sentiment-task';

/** A miniature of the effects task (the real split's first rows) so every job runs end to end in seconds. */
function tinyTask(): SentimentTask {
  const t = sentimentTask();
  const take = (d: SentimentTask['test'], idx: number[]) => ({ texts: idx.map((i) => d.texts[i]!), labels: Int32Array.from(idx, (i) => d.labels[i]!), labelNames: d.labelNames });
  const byClass = (d: SentimentTask['test'], k: number) => [0, 1].flatMap((y) => Array.from(d.labels.keys()).filter((i) => d.labels[i] === y).slice(0, k));
  return { test: take(t.test, byClass(t.test, 4)), dev: take(t.dev, byClass(t.dev, 2)), pool: take(t.pool, byClass(t.pool, 12)) };
}

// bert-mini-lel (2 × 128) keeps this fast; the grids use bert-l4-h256-lel through the same code.
const encoderDir = pretrainedBertPath('bert-mini-lel');

describe('text effects jobs (tiny budget)', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('PEFT (with the teacher cache), VIB, SWA/EMA and KD from unlabelled pool rows run end to end without leaks', async () => {
    const task = tinyTask();
    const dir = tempDir('text-effects');
    const before = tf.memory().numTensors;
    const cache = path.join(dir, 'teacher.safetensors');
    const teacherRun = await runPeftJob({ encoderDir, task, arm: PEFT_ARMS[0]!, perClass: 'all', seed: 0, lr: 1e-3, devOnly: false, epochs: 1, poolLogits: { path: cache, fingerprint: 'tiny' } });
    expect(teacherRun.test!.accuracy).toBeGreaterThanOrEqual(0);
    expect(teacherRun.pool!.accuracy).toBeGreaterThanOrEqual(0);
    const teacher = await CachedLogits.load(cache, { fingerprint: 'tiny' });
    expect([teacher.numExamples, teacher.numClasses]).toEqual([24, 2]);

    const bitfit = await runPeftJob({ encoderDir, task, arm: PEFT_ARMS[1]!, perClass: 4, seed: 1, lr: 1e-3, devOnly: true, epochs: 1 });
    expect(bitfit.dev!.accuracy).toBeGreaterThanOrEqual(0);
    expect(bitfit.trainable).toBeLessThan(bitfit.all / 10);

    const vib = await runVibJob({ encoderDir, task, perClass: 4, seed: 1, lr: 1e-3, epochs: 2 });
    expect(vib.steps).toBe(2);
    expect(Number.isFinite(vib.gap)).toBe(true);

    const swa = await runSwaJob({ encoderDir, task, perClass: 8, seed: 1, lr: 1e-3, epochs: 4 });
    expect(swa.steps).toBe(4);
    expect(swa.swa.models).toBeGreaterThanOrEqual(1);
    expect(swa.ema.models).toBeGreaterThanOrEqual(1);
    for (const r of [swa.last, swa.swa, swa.ema]) expect(Number.isFinite(r.test.loss)).toBe(true);

    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      for (const method of ['none', 'kd', 'annealing-kd', 'continuation-kd']) {
        const kd = await runKdJob({ encoderDir, task, perClass: 2, seed: 1, lr: 1e-3, method, teacher, plan: { epochs: 2, stepsPerEpoch: 1 } });
        expect(kd.steps).toBe(2);
        expect(Number.isFinite(kd.test.loss)).toBe(true);
      }
    } finally {
      warn.mockRestore();
    }
    teacher.dispose();
    expect(tf.memory().numTensors).toBe(before);
    fs.rmSync(dir, { recursive: true, force: true });
  }, 300_000);
});
