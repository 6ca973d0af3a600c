import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { useBackend, type Module } from '@lel/core';
import { expectFlatMemory, expectNoLeaks } from '@lel/core/testing';
import { AveragedModel } from './averaged-model';
import { TestNet } from './test-models.fixture';

beforeAll(async () => {
  await useBackend('cpu');
});

function snapshot(model: Module): Map<string, Float32Array> {
  return new Map([...model.stateDict()].map(([n, t]) => [n, t.dataSync().slice() as Float32Array]));
}

/** Nudge every parameter and run a training-mode forward (which moves the BatchNorm statistics). */
function perturb(model: TestNet, k: number): void {
  tf.tidy(() => {
    for (const [, p] of model.namedParameters()) p.assign(tf.add(p.variable, tf.mul(tf.randomNormal(p.shape, 0, 1, 'float32', 100 + k), 0.1)));
    model.train();
    model.forward(tf.randomNormal([8, 4], 0, 1, 'float32', 200 + k));
  });
}

describe('AveragedModel', () => {
  test.each(['swa', 'ema'] as const)('averaging an unchanged model returns it (%s)', (strategy) => {
    const model = new TestNet();
    const avg = new AveragedModel(model, { strategy, decay: 0.9, useBuffers: true });
    const before = snapshot(model);
    for (let i = 0; i < 7; i++) avg.update(model);
    const target = new TestNet(4, 6, 3, 99);
    avg.copyTo(target);
    for (const [name, values] of snapshot(target)) {
      const ref = before.get(name)!;
      if (strategy === 'swa') expect(Array.from(values)).toEqual(Array.from(ref));
      else values.forEach((v, i) => expect(v).toBeCloseTo(ref[i]!, 6));
    }
    expect(avg.nAveraged).toBe(7);
    avg.dispose();
    model.dispose();
    target.dispose();
  });

  test('is the running mean of the snapshots it was given', () => {
    const model = new TestNet();
    const avg = new AveragedModel(model);
    const snaps: Map<string, Float32Array>[] = [];
    for (let k = 0; k < 4; k++) {
      perturb(model, k);
      snaps.push(snapshot(model));
      avg.update(model);
    }
    const name = 'fc1.weight';
    const mean = snaps[0]!.get(name)!.map((_, i) => snaps.reduce((s, m) => s + m.get(name)![i]!, 0) / snaps.length);
    const got = avg.averagedParameter(name).dataSync();
    mean.forEach((v, i) => expect(got[i]).toBeCloseTo(v, 5));
    avg.dispose();
    model.dispose();
  });

  test('buffers are never stale: copied from the model at each update, or averaged with useBuffers', () => {
    const model = new TestNet();
    const copy = new AveragedModel(model);
    const averaged = new AveragedModel(model, { useBuffers: true });
    const means: Float32Array[] = [];
    for (let k = 0; k < 3; k++) {
      perturb(model, k);
      means.push(model.body.bn.runningMean.dataSync().slice() as Float32Array);
      copy.update(model);
      averaged.update(model);
    }
    const out = new TestNet();
    copy.copyTo(out);
    // torch's use_buffers=False kept the buffers of the model at construction time (pytorch #84053).
    expect(Array.from(out.body.bn.runningMean.dataSync())).toEqual(Array.from(means[2]!));
    averaged.copyTo(out);
    const got = out.body.bn.runningMean.dataSync();
    means[0]!.forEach((_, i) => expect(got[i]).toBeCloseTo((means[0]![i]! + means[1]![i]! + means[2]![i]!) / 3, 5));
    tf.dispose([]);
    copy.dispose();
    averaged.dispose();
    model.dispose();
    out.dispose();
  });

  test('withAveragedWeights evaluates the average and restores the live weights', async () => {
    const model = new TestNet();
    const avg = new AveragedModel(model, { useBuffers: true });
    avg.update(model);
    perturb(model, 1);
    const live = snapshot(model);
    const x = tf.randomNormal([5, 4], 0, 1, 'float32', 7);
    const seen = await avg.withAveragedWeights(model, (m) => tf.tidy(() => Array.from((m.eval() as TestNet).forward(x).dataSync())));
    const ref = new TestNet();
    avg.copyTo(ref);
    const expected = tf.tidy(() => Array.from(ref.eval().forward(x).dataSync()));
    expect(seen).toEqual(expected);
    for (const [n, v] of snapshot(model)) expect(Array.from(v)).toEqual(Array.from(live.get(n)!));
    tf.dispose(x);
    avg.dispose();
    model.dispose();
    ref.dispose();
  });

  test('state survives a save/restore round trip bit for bit, and the continued average matches an uninterrupted one', async () => {
    const a = new TestNet();
    const b = new TestNet();
    const full = new AveragedModel(a, { useBuffers: true });
    const first = new AveragedModel(b, { useBuffers: true });
    for (let k = 0; k < 3; k++) {
      perturb(a, k);
      perturb(b, k);
      full.update(a);
      first.update(b);
    }
    // Serialise through plain arrays (what a checkpoint file stores) into a fresh instance.
    const saved = new Map([...first.stateDict()].map(([n, t]) => [n, tf.tensor(t.dataSync().slice(), t.shape, t.dtype)]));
    first.dispose();
    const resumed = new AveragedModel(b, { useBuffers: true });
    await resumed.loadStateDict(saved);
    tf.dispose([...saved.values()]);
    expect(resumed.nAveraged).toBe(3);
    for (let k = 3; k < 6; k++) {
      perturb(a, k);
      perturb(b, k);
      full.update(a);
      resumed.update(b);
    }
    const fs = full.stateDict();
    for (const [n, t] of resumed.stateDict()) expect(Array.from(t.dataSync())).toEqual(Array.from(fs.get(n)!.dataSync()));
    full.dispose();
    resumed.dispose();
    a.dispose();
    b.dispose();
  });

  test('mismatched models and states are refused with the names', async () => {
    const model = new TestNet();
    const avg = new AveragedModel(model);
    const other = new TestNet(4, 7, 3);
    expect(() => avg.update(other)).toThrow(/shape changed: .*fc1.weight/);
    expect(() => avg.copyTo(model)).toThrow(/nothing averaged yet/);
    await expect(avg.loadStateDict(new Map())).rejects.toThrow(/missing: param\/fc1.weight/);
    expect(() => new AveragedModel(model, { strategy: 'ema', decay: 1.5 })).toThrow(/decay/);
    avg.dispose();
    model.dispose();
    other.dispose();
  });

  test('no leaks: updates keep memory flat; dispose releases everything', async () => {
    const model = new TestNet();
    await expectNoLeaks(async () => {
      const avg = new AveragedModel(model, { strategy: 'ema', useBuffers: true });
      await expectFlatMemory(() => avg.update(model), 10, 1);
      await avg.withAveragedWeights(model, () => undefined);
      avg.dispose();
    });
    model.dispose();
  });

  test("parameters: 'trainable' averages only what the optimiser moves", () => {
    const model = new TestNet();
    model.freeze('fc1.weight');
    const avg = new AveragedModel(model, { parameters: 'trainable' });
    expect(() => avg.averagedParameter('fc1.weight')).toThrow(/no averaged parameter/);
    avg.update(model);
    expect(avg.averagedParameter('fc2.weight').shape).toEqual([6, 3]);
    avg.dispose();
    model.dispose();
  });
});
