import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng, useBackend } from '@lel/core';
import { describeMethodMatrix, expectFlatMemory } from '@lel/core/testing';
import { describe, expect, test } from 'vitest';
import { sclLoss } from './loss';
import { SclModel } from './model';
import { loadSclWeights, multiStepEpochLr, saveSclWeights, scl, sclDistill, sclDistillLoss, trainScl, trainSclDistill } from './train';
import { toyData } from './toy-data.fixture';

const TINY = { channels: [4, 4, 8, 8] as [number, number, number, number], inChannels: 1, featDim: 4, dropBlockSize: 1 };

function tinyModel(seed: number | string, opts: Partial<ConstructorParameters<typeof SclModel>[0]> = {}): SclModel {
  return new SclModel({ numClasses: 3, ...TINY, rng: new Rng(`m/${seed}`), ...opts });
}


const lossOptions = { lambdaCls: 1, spatialContLoss: true, lambdaSpatial: 1, globalContLoss: true, lambdaGlobal: 1 };

const RUN = { channels: TINY.channels, featDim: 4, dropBlockSize: 1, dropRate: 0.1, batchSize: 4, epochs: 2, lrMilestones: [1], imageSize: 16, seed: 3 };

// The shared method matrix: leaks, frozen parameters, checkpoint round trip, finiteness, determinism; and both methods
// through runMethod (named losses, leaks, determinism, a bit-exact resume mid-epoch with DropBlock).
describeMethodMatrix([
  { name: 'scl through runMethod', method: scl, config: RUN, data: () => toyData(8, 2, 1), steps: 3, resumeAt: 1 },
  {
    name: 'scl-distill through runMethod (frozen teacher)',
    method: sclDistill,
    config: { channels: TINY.channels, dropBlockSize: 1, batchSize: 4, epochs: 2, lrMilestones: [1], imageSize: 16, lambdaSpatial: 1, seed: 4 },
    data: () => ({ data: toyData(8, 2, 2), teacher: tinyModel('teacher', { numClasses: 2 }) }),
    dispose: (d: { teacher: SclModel }) => d.teacher.dispose(),
    steps: 3,
    resumeAt: 2,
  },
  {
    name: 'scl CE+SC+GC (layer1 frozen)',
    setup: (seed) => {
      const rng = new Rng(seed);
      const model = tinyModel(seed);
      model.freeze(/^backbone\.layer1\./);
      const x = rng.uniformTensor([8, 32, 32, 1]);
      const y = tf.tensor1d([0, 1, 2, 1], 'int32');
      return { model, loss: () => sclLoss(model, x, y, lossOptions) as never, dispose: () => tf.dispose([x, y]) };
    },
  },
  {
    name: 'scl self-supervised SC+GC + ProtoNet episodic term',
    setup: (seed) => {
      const rng = new Rng(seed);
      const model = tinyModel(seed, { aggregation: 'logsum' });
      const x = rng.uniformTensor([8, 32, 32, 1]);
      const y = tf.tensor1d([0, 0, 1, 1], 'int32');
      const opts = { ...lossOptions, lambdaCls: 0, selfSupervised: true, lambdaProto: 1, episode: { nWay: 2, kShot: 1, nQuery: 1 } };
      return { model, loss: () => sclLoss(model, x, y, opts) as never, dispose: () => tf.dispose([x, y]) };
    },
  },
  {
    name: 'scl distillation (teacher frozen, all four terms)',
    setup: (seed) => {
      const rng = new Rng(seed);
      const teacher = tinyModel(`t${seed}`, { projection: false, attention: false });
      teacher.eval();
      const model = tinyModel(seed, { projection: false, attention: false });
      const x = rng.uniformTensor([4, 32, 32, 1]);
      const y = tf.tensor1d([0, 1, 2, 1], 'int32');
      const opts = { lambdaCls: 1, lambdaKD: 1, lambdaGlobal: 10, lambdaSpatial: 1, temperature: 4 };
      return { model, loss: () => sclDistillLoss(model, teacher, x, y, opts) as never, dispose: () => { tf.dispose([x, y]); teacher.dispose(); } };
    },
  },
]);

describe('SCL objective', () => {
  test('parts are the enabled terms; the total is their weighted sum', async () => {
    await useBackend('cpu');
    const model = tinyModel(0);
    const x = new Rng(0).uniformTensor([8, 32, 32, 1]);
    const y = tf.tensor1d([0, 1, 2, 1], 'int32');
    const p = sclLoss(model, x, y, { ...lossOptions, lambdaSpatial: 0.5, lambdaGlobal: 2 });
    expect(Object.keys(p).sort()).toEqual(['ce', 'gc', 'sc', 'total']);
    const [t, ce, sc, gc] = [p.total, p.ce!, p.sc!, p.gc!].map((s) => s.dataSync()[0]!);
    expect(t).toBeCloseTo(ce! + 0.5 * sc! + 2 * gc!, 4);
    const only = sclLoss(model, x, y, { lambdaCls: 1, spatialContLoss: false, lambdaSpatial: 1, globalContLoss: false, lambdaGlobal: 1 });
    expect(Object.keys(only).sort()).toEqual(['ce', 'total']);
    expect(() => sclLoss(model, x, tf.tensor1d([0, 1, 2], 'int32'), lossOptions)).toThrow(/x has 8 images; expected 2 × 3/);
    const noHeads = tinyModel(1, { attention: false, projection: false });
    expect(() => sclLoss(noHeads, x, y, lossOptions)).toThrow(/attention head/);
    tf.dispose([x, y, ...Object.values(p), ...Object.values(only)]);
    model.dispose();
    noHeads.dispose();
  });

  test('SCL step decay: ×0.1 once the epoch passes each milestone', () => {
    const s = multiStepEpochLr({ baseLr: 0.05, milestones: [2, 3], rate: 0.1, stepsPerEpoch: 10 });
    expect([0, 19, 20, 29, 30, 99].map((k) => +s.lrAt(k).toPrecision(6))).toEqual([0.05, 0.05, 0.005, 0.005, 0.0005, 0.0005]);
  });
});

describe('training recipes', () => {
  test('trainScl + trainSclDistill run, memory stays flat, weights save and reload', async () => {
    await useBackend('wasm');
    const data = toyData(12, 3, 0);
    const cfg = { channels: TINY.channels, featDim: 4, dropBlockSize: 1, batchSize: 4, epochs: 1, globalContLoss: true, lrMilestones: [1], gradClipNorm: 5 };
    const { model, result } = await trainScl(data, cfg, { maxSteps: 2 });
    expect(result.steps).toBe(2);
    expect(Number.isFinite(result.lastLoss)).toBe(true);
    const keys = Object.keys(result.history.at(-1) ?? {});
    expect(keys).toEqual(expect.arrayContaining(['ce', 'sc', 'gc']));

    // Leak-free training steps: the same loss and update, repeated, keeps the tensor count flat.
    const x = new Rng(1).uniformTensor([8, 32, 32, 1]);
    const y = tf.tensor1d([0, 1, 2, 0], 'int32');
    const { SGD, computeGradients } = await import('@lel/core');
    const opt = new SGD(model.trainableParameters(), { lr: 0.01, momentum: 0.9 });
    await expectFlatMemory(async () => {
      const { grads } = await computeGradients(() => sclLoss(model, x, y, { ...lossOptions }) as never, model.trainableParameters());
      opt.step(grads);
      tf.dispose([...grads.values()]);
    }, 4, 2);
    opt.dispose();
    tf.dispose([x, y]);

    const dir = mkdtempSync(join(tmpdir(), 'scl-'));
    try {
      const path = join(dir, 'scl.safetensors');
      await saveSclWeights(model, path);
      const back = await loadSclWeights(path);
      const a = model.stateDict();
      const b = back.stateDict();
      expect([...b.keys()]).toEqual([...a.keys()]);
      for (const [k, t] of a) expect(Array.from(b.get(k)!.dataSync())).toEqual(Array.from(t.dataSync()));
      back.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }

    const { model: student, result: dres } = await trainSclDistill(data, model, { channels: TINY.channels, dropBlockSize: 1, batchSize: 4, epochs: 1, lrMilestones: [1], lambdaSpatial: 1 }, { maxSteps: 2 });
    expect(dres.steps).toBe(2);
    expect(Number.isFinite(dres.lastLoss)).toBe(true);
    expect(student.projection).toBeNull();
    student.dispose();
    model.dispose();
  }, 60_000);
});
