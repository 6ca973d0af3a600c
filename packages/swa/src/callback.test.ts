import '@tensorflow/tfjs-backend-cpu';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { crossEntropy, fit, SGD, useBackend, type Callback, type DataSource, type Module, type TrainContext } from '@lel/core';
import { readSafetensorsFile } from '@lel/core/node';
import { expectNoLeaks } from '@lel/core/testing';
import { SwaCallback } from './callback';
import { swaLrSchedule } from './swa-lr-schedule';
import { TestNet } from './test-models.fixture';

type Batch = { x: tf.Tensor2D; y: tf.Tensor1D };

// 32 points of a 3-class problem, in 4 batches of 8; each epoch visits the batches in an rng order.
const X = Array.from({ length: 32 }, (_, i) => [Math.sin(i), Math.cos(1.3 * i), ((i * 7) % 11) / 11 - 0.5, (i % 3) - 1]);
const Y = X.map((r) => (r[0]! + r[3]! > 0.3 ? 0 : r[1]! > 0 ? 1 : 2));
const data: DataSource<Batch> = (_epoch, rng) =>
  rng.permutation(4).map((b) => ({ x: tf.tensor2d(X.slice(8 * b, 8 * b + 8)), y: tf.tensor1d(Y.slice(8 * b, 8 * b + 8), 'int32') }));
const step = (model: TestNet) => (b: Batch) => ({ total: crossEntropy(model.forward(b.x), b.y) as tf.Scalar });

/** Records the model's weights right after the SWA callback ran at the given steps. */
class Recorder implements Callback {
  readonly snaps = new Map<number, Map<string, Float32Array>>();
  constructor(private readonly at: (t: number) => boolean) {}
  onStepEnd(ctx: TrainContext): void {
    if (!this.at(ctx.step)) return;
    this.snaps.set(ctx.step, new Map(ctx.model.namedParameters().map(([n, p]) => [n, p.variable.dataSync().slice() as Float32Array])));
  }
}

let dir: string;
beforeAll(async () => {
  await useBackend('cpu');
  dir = mkdtempSync(join(tmpdir(), 'lel-swa-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function weights(m: Module): Map<string, number[]> {
  return new Map([...m.stateDict()].map(([n, t]) => [n, Array.from(t.dataSync())]));
}

describe('SwaCallback', () => {
  test('per-step averaging: averages exactly the planned steps, and ends with their mean in the model', async () => {
    const model = new TestNet();
    const swa = new SwaCallback({ unit: 'step', swaStart: 0.5, every: 3 });
    const rec = new Recorder((t) => [11, 14, 17, 20].includes(t));
    await fit({ model, optimizer: new SGD(model.trainableParameters(), { lr: 0.1 }), data: { labeled: data }, maxSteps: 20, step: step(model), callbacks: [swa, rec], progress: 'none' });
    expect(swa.averagedAt).toEqual([11, 14, 17, 20]);
    expect(swa.averagedModel!.nAveraged).toBe(4);
    const name = 'fc1.weight';
    const got = model.getParameter(name).variable.dataSync();
    const snaps = [...rec.snaps.values()].map((m) => m.get(name)!);
    got.forEach((v, i) => expect(v).toBeCloseTo(snaps.reduce((s, m) => s + m[i]!, 0) / 4, 5));
    swa.dispose();
    model.dispose();
  });

  test('averaged weights survive checkpoint/resume exactly', async () => {
    const run = async (runDir: string, maxSteps: number, resume?: 'last') => {
      const model = new TestNet();
      const swa = new SwaCallback({ unit: 'step', swaStart: 0.25, every: 2, totalUnits: 24, useBuffers: true, applyAtEnd: false });
      await fit({
        model,
        optimizer: new SGD(model.trainableParameters(), { lr: 0.1, momentum: 0.9 }),
        data: { labeled: data },
        maxSteps,
        step: step(model),
        callbacks: [swa],
        runDir,
        checkpoint: { every: 4 },
        resume,
        progress: 'none',
      });
      return { model, swa };
    };
    const a = await run(join(dir, 'a'), 24);
    const first = await run(join(dir, 'b'), 10);
    expect(first.swa.averagedModel!.nAveraged).toBe(2); // steps 7, 9
    first.swa.dispose();
    first.model.dispose();
    const b = await run(join(dir, 'b'), 24, 'last');
    expect(b.swa.averagedModel!.nAveraged).toBe(a.swa.averagedModel!.nAveraged);
    expect(weights(b.model)).toEqual(weights(a.model));
    const sa = a.swa.averagedModel!.stateDict();
    for (const [n, t] of b.swa.averagedModel!.stateDict()) expect(Array.from(t.dataSync())).toEqual(Array.from(sa.get(n)!.dataSync()));
    expect(weights(b.model)).toEqual(weights(a.model));
    // The final averaged weights are also written beside the checkpoints.
    const file = await readSafetensorsFile(join(dir, 'a', 'swa.safetensors'));
    expect(file.metadata.n_averaged).toBe(String(a.swa.averagedModel!.nAveraged));
    for (const x of [a, b]) {
      x.swa.dispose();
      x.model.dispose();
    }
  });

  test('per-epoch averaging evaluates the averaged weights with BatchNorm recomputed, and restores the live weights', async () => {
    const model = new TestNet();
    const evals: number[] = [];
    const swa = new SwaCallback<Batch>({
      unit: 'epoch',
      swaStart: 0.5,
      applyAtEnd: false,
      evaluate: (m) => {
        const acc = tf.tidy(() => {
          const pred = tf.argMax((m as TestNet).forward(tf.tensor2d(X)), -1);
          return tf.mean(tf.cast(tf.equal(pred, tf.tensor1d(Y, 'int32')), 'float32')).dataSync()[0]!;
        });
        evals.push(acc);
        return { accuracy: acc };
      },
      bnData: () => [0, 1, 2, 3].map((b) => ({ x: tf.tensor2d(X.slice(8 * b, 8 * b + 8)), y: tf.tensor1d(Y.slice(8 * b, 8 * b + 8), 'int32') })),
      bnForward: (m, b) => {
        const out = (m as TestNet).forward(b.x);
        tf.dispose([b.x, b.y]);
        return out;
      },
    });
    let loopMetrics: Record<string, number> | undefined;
    const seen: Callback = { onEvaluate: (m) => void (loopMetrics = { ...m }) };
    const opt = new SGD(model.trainableParameters(), { lr: 0.2 });
    const schedule = swaLrSchedule({ base: 0.2, swaLr: 0.05, startStep: 8, annealEpochs: 1, unit: 'epoch', stepsPerEpoch: 4 });
    await fit({
      model,
      optimizer: opt,
      schedule,
      data: { labeled: data },
      epochs: 4,
      step: step(model),
      callbacks: [swa, seen],
      evaluate: () => ({ accuracy: 0 }),
      progress: 'none',
    });
    expect(swa.averagedModel!.nAveraged).toBe(2); // epochs 3 and 4
    // evaluations after epochs 3 and 4 (averaged) plus the final one.
    expect(evals.length).toBe(3);
    expect(loopMetrics!.swa_accuracy).toBe(evals[1]);
    // applyAtEnd: false → the model keeps its own last weights, not the average.
    const avg = swa.averagedModel!.averagedParameter('fc1.weight').dataSync();
    expect(Array.from(model.getParameter('fc1.weight').variable.dataSync())).not.toEqual(Array.from(avg));
    expect(opt.lr).toBeCloseTo(0.05);
    swa.dispose();
    model.dispose();
  });

  test('no leaks over a whole run', async () => {
    const model = new TestNet();
    await expectNoLeaks(async () => {
      const swa = new SwaCallback({ unit: 'step', swaStart: 0.3, every: 1, strategy: 'ema', decay: 0.9, useBuffers: true });
      const opt = new SGD(model.trainableParameters(), { lr: 0.1, momentum: 0.9 });
      await fit({ model, optimizer: opt, data: { labeled: data }, maxSteps: 12, step: step(model), callbacks: [swa], progress: 'none' });
      swa.dispose();
      opt.dispose();
    });
    model.dispose();
  });

  test("averages the module named by `module` when fit trains several", async () => {
    const a = new TestNet(4, 6, 3, 1);
    const b = new TestNet(4, 6, 3, 2);
    const swa = new SwaCallback({ unit: 'step', swaStart: 0.5, every: 1, module: 'b', applyAtEnd: false });
    const snaps: Float32Array[] = [];
    const params = [...a.trainableParameters().map(([n, p]) => [`a.${n}`, p] as const), ...b.trainableParameters().map(([n, p]) => [`b.${n}`, p] as const)];
    await fit({
      modules: { a, b },
      optimizer: new SGD(params as never, { lr: 0.1 }),
      data: { labeled: data },
      maxSteps: 4,
      step: (batch: Batch) => ({ total: tf.add(crossEntropy(a.forward(batch.x), batch.y), crossEntropy(b.forward(batch.x), batch.y)) as tf.Scalar }),
      callbacks: [swa, { onStepEnd: (ctx) => void (ctx.step >= 3 && snaps.push(ctx.modules.b!.getParameter('fc2.weight').variable.dataSync().slice() as Float32Array)) }],
      progress: 'none',
    });
    // The average over steps 3 and 4 is b's.
    const avg = swa.averagedModel!.averagedParameter('fc2.weight').dataSync();
    avg.forEach((v, i) => expect(v).toBeCloseTo((snaps[0]![i]! + snaps[1]![i]!) / 2, 5));
    expect(swa.averagedModel!.nAveraged).toBe(2);
    const bad = new SwaCallback({ module: 'c' });
    await expect(fit({ modules: { a, b }, optimizer: new SGD(params as never, { lr: 0.1 }), data: { labeled: data }, maxSteps: 1, step: () => ({ total: tf.scalar(0) as tf.Scalar }), callbacks: [bad], progress: 'none' })).rejects.toThrow(/no module "c"/);
    swa.dispose();
    a.dispose();
    b.dispose();
  });

  test('bad options are refused', () => {
    expect(() => new SwaCallback({ swaStart: 1.2 })).toThrow();
    expect(() => new SwaCallback({ totalUnits: 0 })).toThrow(/totalUnits/);
    expect(existsSync(dir)).toBe(true);
  });
});
