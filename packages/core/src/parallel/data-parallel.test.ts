import * as tf from '@tensorflow/tfjs-core';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { useBackend } from '../backend';
import { registerLelKernels } from '../kernels/register';
import { compareClose } from '../testing/golden';
import { DataParallel } from './data-parallel';
import { createTinyTask } from './tiny-task.fixture';

const fixture = fileURLToPath(new URL('./tiny-task.fixture.ts', import.meta.url));

/** Plain Adam on the main thread (the data-parallel mode leaves the optimiser to the caller). */
function adamStep(params: tf.Variable[], grads: tf.Tensor[], state: { m: tf.Tensor[]; v: tf.Tensor[]; t: number }): void {
  state.t++;
  tf.tidy(() => {
    params.forEach((p, i) => {
      const m = tf.add(tf.mul(state.m[i]!, 0.9), tf.mul(grads[i]!, 0.1));
      const v = tf.add(tf.mul(state.v[i]!, 0.999), tf.mul(tf.square(grads[i]!), 0.001));
      tf.dispose([state.m[i]!, state.v[i]!]);
      state.m[i] = tf.keep(m);
      state.v[i] = tf.keep(v);
      const mh = tf.div(m, 1 - 0.9 ** state.t);
      const vh = tf.div(v, 1 - 0.999 ** state.t);
      p.assign(tf.sub(p, tf.div(tf.mul(mh, 0.05), tf.add(tf.sqrt(vh), 1e-8))));
    });
  });
}

describe('DataParallel (2 worker_threads, wasm)', () => {
  let two: DataParallel;
  let one: DataParallel;
  beforeAll(async () => {
    registerLelKernels();
    await useBackend('cpu');
    [two, one] = await Promise.all([
      DataParallel.create({ module: fixture, exportName: 'createTinyTask', args: 1, workers: 2, backend: 'wasm' }),
      DataParallel.create({ module: fixture, exportName: 'createTinyTask', args: 1, workers: 1, backend: 'wasm' }),
    ]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([two?.close(), one?.close()]);
  });

  test('two workers give the one-worker full-batch gradient and the same Adam trajectory', async () => {
    const before = tf.memory().numTensors;
    const a = createTinyTask(1);
    const b = createTinyTask(1);
    const state = (ps: tf.Variable[]) => ({ m: ps.map((p) => tf.zerosLike(p)), v: ps.map((p) => tf.zerosLike(p)), t: 0 });
    const sa = state(a.params);
    const sb = state(b.params);
    // Reference: the full-batch gradient computed here, on the main thread (cpu backend).
    const { value, grads: ref } = tf.variableGrads(() => a.loss({ start: 0, count: 12 }), a.params);
    value.dispose();
    const g2 = await two.gradients(a.params, 12);
    a.params.forEach((p, i) => expect(compareClose(g2.grads[i]!.dataSync(), ref[p.name]!.dataSync(), 1e-5, 1e-4), `param ${i}`).toBeNull());
    tf.dispose([g2.grads, ref as unknown as tf.TensorContainer]);
    for (let step = 0; step < 5; step++) {
      const r2 = await two.gradients(a.params, 12);
      const r1 = await one.gradients(b.params, 12);
      expect(Math.abs(r2.loss - r1.loss)).toBeLessThan(1e-5);
      adamStep(a.params, r2.grads, sa);
      adamStep(b.params, r1.grads, sb);
      tf.dispose([r2.grads, r1.grads]);
    }
    a.params.forEach((p, i) => expect(compareClose(p.dataSync(), b.params[i]!.dataSync(), 1e-5, 1e-4), `param ${i} after 5 steps`).toBeNull());
    // Training moved the weights (so the comparison above is not of untouched initial values).
    const c = createTinyTask(1);
    expect(compareClose(a.params[0]!.dataSync(), c.params[0]!.dataSync(), 1e-3, 0)).not.toBeNull();
    tf.dispose([...a.params, ...b.params, ...c.params, sa.m, sa.v, sb.m, sb.v]);
    // The fixture's data tensors (x, y) of the three tasks stay alive by design: 2 per task.
    expect(tf.memory().numTensors - before).toBe(6);
  }, 60_000);

  test('uneven shards are weighted by size', async () => {
    const a = createTinyTask(1);
    const { value, grads: ref } = tf.variableGrads(() => a.loss({ start: 0, count: 7 }), a.params);
    value.dispose();
    // 7 examples on 2 workers: shards of 3 and 4.
    const g = await two.gradients(a.params, 7);
    a.params.forEach((p, i) => expect(compareClose(g.grads[i]!.dataSync(), ref[p.name]!.dataSync(), 1e-5, 1e-4)).toBeNull());
    tf.dispose([...g.grads, ...a.params, ref as unknown as tf.TensorContainer]);
  }, 60_000);
});

describe('DataParallel.step (replicas update themselves through shared memory)', () => {
  // Each test starts fresh pools: the replicas' Adam state lives in the workers.
  const open: DataParallel[] = [];
  const pool = async (workers: number, args: unknown = 1) => {
    const dp = await DataParallel.create({ module: fixture, exportName: 'createTinyTask', args, workers, backend: 'wasm' });
    open.push(dp);
    return dp;
  };
  beforeAll(async () => {
    registerLelKernels();
    await useBackend('cpu');
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((dp) => dp.close()));
  });

  const sameWeights = (a: Float32Array[], b: Float32Array[], rtol: number, atol: number) =>
    a.forEach((w, i) => expect(compareClose(w, b[i]!, rtol, atol), `param ${i}`).toBeNull());

  test('two workers train like one worker at the combined batch, and the replicas stay bit-identical', async () => {
    const [two, one] = await Promise.all([pool(2), pool(1)]);
    const start = await two.getWeights();
    for (let s = 0; s < 6; s++) {
      const [r2, r1] = await Promise.all([two.step(12), one.step(12)]);
      expect(Math.abs(r2.loss - r1.loss)).toBeLessThan(1e-5);
      expect(r2.workerMs).toHaveLength(2);
    }
    const [w0, w1, ref] = await Promise.all([two.getWeights(0), two.getWeights(1), one.getWeights()]);
    w0.forEach((w, i) => expect(Array.from(w1[i]!), `replica 1 param ${i}`).toEqual(Array.from(w)));
    sameWeights(w0, ref, 1e-5, 1e-4);
    // Training moved the weights.
    expect(compareClose(w0[0]!, start[0]!, 1e-3, 0)).not.toBeNull();
  }, 60_000);

  test('matches the main-thread path: gradients() + the same Adam on this thread', async () => {
    const [two, grads] = await Promise.all([pool(2), pool(2)]);
    const a = createTinyTask(1);
    for (let s = 0; s < 3; s++) {
      const g = await grads.gradients(a.params, 12);
      a.applyGradients!(g.grads, undefined);
      tf.dispose(g.grads);
    }
    for (let s = 0; s < 3; s++) await two.step(12);
    sameWeights(await two.getWeights(), a.params.map((p) => p.dataSync() as Float32Array), 1e-5, 1e-4);
    tf.dispose(a.params);
  }, 60_000);

  test('update reaches applyGradients (lr 0 leaves the weights), and a batch smaller than the pool works', async () => {
    const [two, one] = await Promise.all([pool(2), pool(1)]);
    const before = await two.getWeights();
    const [r2, r1] = await Promise.all([two.step(12, { update: { lr: 0 } }), one.step(12, { update: { lr: 0 } })]);
    expect(Math.abs(r2.loss - r1.loss)).toBeLessThan(1e-5);
    sameWeights(await two.getWeights(), before, 0, 0);
    const [s2, s1] = await Promise.all([two.step(1, { update: { lr: 0.05 } }), one.step(1, { update: { lr: 0.05 } })]);
    expect(Math.abs(s2.loss - s1.loss)).toBeLessThan(1e-6);
    const after = await two.getWeights(1);
    sameWeights(after, await one.getWeights(), 1e-6, 1e-6);
    expect(compareClose(after[0]!, before[0]!, 1e-4, 0)).not.toBeNull();
  }, 60_000);

  test('a failing shard rejects with its error, no replica updates, and the next step runs', async () => {
    const failing = await pool(2, { seed: 1, failFrom: 6 });
    const before = await failing.getWeights();
    await expect(failing.step(12)).rejects.toThrow(/worker 1: .*shard at 6 fails on purpose/);
    sameWeights(await failing.getWeights(0), before, 0, 0);
    sameWeights(await failing.getWeights(1), before, 0, 0);
    // Batch 6 puts examples 3–5 on worker 1: no failure, both replicas update.
    await failing.step(6);
    expect(compareClose((await failing.getWeights(1))[0]!, before[0]!, 1e-4, 0)).not.toBeNull();
  }, 60_000);

  test('setWeights loads every replica; bad arguments are named', async () => {
    const two = await pool(2);
    const w = (await two.getWeights()).map((x) => x.map((v) => v + 1));
    await two.setWeights(w);
    sameWeights(await two.getWeights(1), w, 0, 0);
    await expect(two.step(0)).rejects.toThrow(/batchSize must be a positive integer/);
    await expect(two.setWeights([new Float32Array(3)])).rejects.toThrow(/1 arrays given, replicas have 3 params/);
    await expect(two.setWeights([new Float32Array(3), new Float32Array(8), new Float32Array(24)])).rejects.toThrow(/param 0 needs 40 values \[5,8\], got 3/);
  }, 60_000);
});
