import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, test } from 'vitest';
import { z } from 'zod';
import { useBackend } from '../backend';
import { Dropout } from '../layers/dropout';
import { Linear } from '../layers/linear';
import { crossEntropy } from '../losses/cross-entropy';
import { entropy } from '../losses/entropy';
import { Module } from '../module/module';
import { Adam } from '../optim/adam';
import { SGD } from '../optim/sgd';
import { computeGradients } from '../optim/gradients';
import { stopGradient } from '../optim/stop-gradient';
import { Rng } from '../random/rng';
import { describeMethodMatrix } from '../testing/method-matrix';
import { ConfigValidationError } from '../train/config';
import { readManifest, resolveCheckpoint } from '../train/checkpoint';
import type { Callback } from '../train/types';
import { defineMethod, type MethodConfig, type MethodConfigInput } from './define-method';
import { runMethod } from './run-method';
// Node's host (run folders, checkpoints): @lel/core installs it in Node; these tests import the modules directly.
import '../node';

class Net extends Module {
  readonly fc1: Linear;
  readonly drop = this.registerModule('drop', new Dropout(0.25));
  readonly fc2: Linear;
  constructor(rng: Rng) {
    super();
    this.fc1 = this.registerModule('fc1', new Linear(3, 8, { rng }));
    this.fc2 = this.registerModule('fc2', new Linear(8, 2, { rng }));
  }
  forward(x: tf.Tensor): tf.Tensor2D {
    return this.fc2.forward(this.drop.forward(tf.relu(this.fc1.forward(x)))) as tf.Tensor2D;
  }
}

/** Labelled and unlabelled points of two blobs (plain arrays: the method makes the tensors). */
interface Points {
  x: number[][];
  y: number[];
  unlabeled: number[][];
}

function points(n: number, seed: number): Points {
  const rng = new Rng(seed);
  const pt = (c: number) => [c ? 1.5 : -1.5, rng.normal(), rng.normal()];
  const y = Array.from({ length: n }, (_, i) => i % 2);
  return { x: y.map(pt), y, unlabeled: Array.from({ length: 3 * n }, (_, i) => pt(i % 2)) };
}

function* batchesOf(rows: number[][], labels: number[] | undefined, size: number, rng: Rng): Generator<{ x: tf.Tensor2D; y?: tf.Tensor1D }> {
  const order = rng.permutation(rows.length);
  for (let s = 0; s + size <= rows.length; s += size) {
    const idx = order.slice(s, s + size);
    yield { x: tf.tensor2d(idx.map((i) => rows[i]!)), ...(labels ? { y: tf.tensor1d(idx.map((i) => labels[i]!), 'int32') } : {}) };
  }
}

const ToyConfig = z
  .object({
    weight: z.number().min(0).default(0.5),
    lr: z.number().positive().default(0.05),
    steps: z.number().int().min(1).default(6),
    batchSize: z.number().int().min(1).default(4),
    freezeFirst: z.boolean().default(false),
    seed: z.number().int().default(0),
  })
  .strict();

let cleanups: boolean[] = [];

/** Entropy minimisation on two blobs: semi-supervised, dropout noise from ctx.rng-seeded generators, optional frozen layer. */
const toy = defineMethod({
  name: 'toy',
  description: 'entropy minimisation on two blobs',
  configSchema: ToyConfig,
  build(config, data: Points) {
    const model = new Net(new Rng(`toy/${config.seed}`));
    if (config.freezeFirst) model.fc1.freeze();
    return {
      model,
      optimizers: new Adam(model.trainableParameters(), { lr: config.lr }),
      data: {
        labeled: (_e, rng) => batchesOf(data.x, data.y, config.batchSize, rng),
        unlabeled: (_e, rng) => batchesOf(data.unlabeled, undefined, config.batchSize, rng),
      },
      loss: (batch, ctx) => {
        const sup = crossEntropy(model.forward(batch.x), batch.y!) as tf.Scalar;
        const { loss: unsup, perPosition } = entropy(model.forward(ctx.unlabeled!.x));
        perPosition.dispose();
        return { total: tf.add(sup, tf.mul(unsup, config.weight)) as tf.Scalar, sup, unsup: unsup as tf.Scalar };
      },
      maxSteps: config.steps,
      seed: config.seed,
      evaluate: () => tf.tidy(() => ({ accuracy: tf.mean(tf.cast(tf.equal(tf.argMax(model.forward(tf.tensor2d(data.x)), -1), tf.tensor1d(data.y, 'int32')), 'float32')).dataSync()[0]! })),
      evalEvery: 2,
      predict: (x: number[][]) => tf.tidy(() => tf.softmax(model.forward(tf.tensor2d(x))).arraySync() as number[][]),
      info: { stepsPlanned: config.steps },
      cleanup: ({ failed }) => {
        cleanups.push(failed);
        if (failed) model.dispose();
      },
    };
  },
});

describe.each(['cpu'])('defineMethod / runMethod [%s]', (backend) => {
  test('trains with the defaults filled in; returns the model, config, info and a bound predict; logs every loss part', async () => {
    await useBackend(backend as never);
    const config: MethodConfigInput<typeof toy> = { steps: 4 };
    const r = await runMethod(toy, config, points(8, 1), { progress: 'none', logEvery: 1 });
    try {
      const resolved: MethodConfig<typeof toy> = r.config;
      expect(resolved).toEqual({ weight: 0.5, lr: 0.05, steps: 4, batchSize: 4, freezeFirst: false, seed: 0 });
      expect(r.method).toBe('toy');
      expect(r.model).toBeInstanceOf(Net);
      expect(r.modules).toEqual({ model: r.model });
      expect(r.info).toEqual({ stepsPlanned: 4 });
      expect(r.result.steps).toBe(4);
      const train = r.result.history.filter((h) => h.type === 'train');
      expect(Object.keys(train[0]!)).toEqual(expect.arrayContaining(['loss', 'sup', 'unsup', 'lr']));
      expect(r.result.history.filter((h) => h.type === 'eval').map((h) => h.step)).toEqual([2, 4]);
      const p = r.predict([[2, 0, 0]]);
      expect(p[0]!.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    } finally {
      r.model.dispose();
    }
  });

  test('a bad config is refused before build, naming the key', async () => {
    await useBackend(backend as never);
    let built = false;
    const m = defineMethod({ name: 'strict', configSchema: ToyConfig, build: () => ((built = true), null as never) });
    const err = await runMethod(m, { lr: -1, extra: 1 } as never, points(4, 0)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigValidationError);
    expect((err as Error).message).toMatch(/strict config/);
    expect((err as ConfigValidationError).issues.map((i) => i.path).sort()).toEqual(['extra', 'lr']);
    expect(built).toBe(false);
  });

  test('the run caps the length, replaces evaluation and early stopping, and runs its callbacks before the method’s', async () => {
    await useBackend(backend as never);
    const order: string[] = [];
    const parts = (tag: string): Callback => ({ onTrainStart: () => void order.push(tag) });
    const m = defineMethod({
      name: 'cb',
      configSchema: ToyConfig,
      async build(config, data: Points) {
        const built = await toy.build(config, data);
        return { ...built, callbacks: [parts('method')], earlyStopping: { metric: 'accuracy', mode: 'max', patience: 1 } };
      },
    });
    const r = await runMethod(m, { steps: 10 }, points(8, 2), { progress: 'none', maxSteps: 3, evaluate: false, earlyStopping: false, callbacks: [parts('run')] });
    try {
      expect(r.result.steps).toBe(3);
      expect(r.result.stopReason).toBe('maxSteps');
      expect(r.result.history.some((h) => h.type === 'eval')).toBe(false);
      expect(order).toEqual(['run', 'method']);
    } finally {
      r.model.dispose();
    }
    const r2 = await runMethod(toy, { steps: 2 }, points(8, 2), { progress: 'none', maxSteps: 50, evaluate: () => ({ custom: 1 }), evalEvery: 1 });
    try {
      expect(r2.result.steps).toBe(2); // the run's cap never lengthens the method's own run
      expect(r2.result.history.filter((h) => h.type === 'eval').map((h) => h.custom)).toEqual([1, 1]);
    } finally {
      r2.model.dispose();
    }
  });

  test('a failing run disposes the optimisers, calls cleanup as failed (which frees the model) and rethrows; nothing leaks', async () => {
    await useBackend(backend as never);
    cleanups = [];
    const before = tf.memory().numTensors;
    const failing: Callback = {
      onStepEnd: (ctx) => {
        if (ctx.step === 2) throw new Error('boom at step 2');
      },
    };
    await expect(runMethod(toy, { steps: 5 }, points(8, 3), { progress: 'none', callbacks: [failing] })).rejects.toThrow(/boom at step 2/);
    expect(cleanups).toEqual([true]);
    expect(tf.memory().numTensors).toBe(before);
    const r = await runMethod(toy, { steps: 1 }, points(8, 3), { progress: 'none' });
    r.model.dispose();
    expect(cleanups).toEqual([true, false]);
  });

  test('build must give one of model / modules and one of loss / trainStep', async () => {
    await useBackend(backend as never);
    const bad = defineMethod({
      name: 'bad',
      configSchema: ToyConfig,
      async build(config, data: Points) {
        const built = await toy.build(config, data);
        return { ...built, modules: { a: built.model! } };
      },
    });
    await expect(runMethod(bad, {}, points(4, 0), { progress: 'none' })).rejects.toThrow(/bad: build must return exactly one of model or modules/);
    expect(() => defineMethod({ name: '', configSchema: ToyConfig, build: () => null as never })).toThrow(/name/);
    expect(() => defineMethod({ name: 'x', configSchema: {} as never, build: () => null as never })).toThrow(/zod schema/);
  });

  test('several modules and optimisers with a custom update: both trained and checkpointed by name; the run’s config is saved', async () => {
    await useBackend(backend as never);
    const twoHeads = defineMethod({
      name: 'two-heads',
      configSchema: z.object({ lr: z.number().default(0.1), seed: z.number().default(0) }).strict(),
      build(config, data: Points) {
        const rng = new Rng(config.seed);
        const student = new Net(rng);
        const probe = new Linear(2, 2, { rng });
        const oS = new SGD(student.namedParameters('student'), { lr: config.lr });
        const oP = new SGD(probe.namedParameters('probe'), { lr: config.lr });
        return {
          modules: { student, probe },
          optimizers: [oS, oP],
          data: { labeled: (_e: number, r: Rng) => batchesOf(data.x, data.y, 4, r) },
          trainStep: async (b: { x: tf.Tensor2D; y?: tf.Tensor1D }) => {
            const a = await computeGradients(() => crossEntropy(student.forward(b.x), b.y!) as tf.Scalar, student.namedParameters('student'));
            oS.step(a.grads);
            tf.dispose([...a.grads.values()]);
            const p = await computeGradients(() => crossEntropy(probe.forward(stopGradient(student.forward(b.x))), b.y!) as tf.Scalar, probe.namedParameters('probe'));
            oP.step(p.grads);
            tf.dispose([...p.grads.values()]);
            return { student: a.loss, probe: p.loss };
          },
          epochs: 1,
        };
      },
    });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lel-run-method-'));
    try {
      const r = await runMethod(twoHeads, {}, points(8, 4), { progress: 'none', runDir: dir, config: { app: 'mine' } });
      expect(Object.keys(r.modules)).toEqual(['student', 'probe']);
      expect(r.model).toBe(r.modules.student);
      expect(r.result.steps).toBe(2);
      expect(readManifest(resolveCheckpoint('last', dir)).modules).toEqual(['student', 'probe']);
      expect(JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'))).toEqual({ app: 'mine' });
      for (const m of Object.values(r.modules)) m.dispose();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

// The contract in the shared matrix: finite named losses, leaks, determinism, frozen parameters, bit-exact resume
// (two streams, dropout, Adam) — the same rows every method package and every app recipe runs.
describeMethodMatrix(
  [
    { name: 'toy entropy minimisation', method: toy, config: { steps: 4 }, data: () => points(8, 5), steps: 4, resumeAt: 1 },
    { name: 'toy, first layer frozen, resumed mid-run', method: toy, config: { steps: 5, freezeFirst: true }, data: () => points(8, 6), steps: 5, resumeAt: 3 },
  ],
  { backends: ['cpu'] },
);
