import * as tf from '@tensorflow/tfjs-core';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { useBackend } from '../backend';
import { registerLelKernels } from '../kernels/register';
import { compareClose } from '../testing/golden';
import { DataParallel } from './data_parallel';
import { createTinyTask } from './tiny_task.fixture';

const fixture = fileURLToPath(new URL('./tiny_task.fixture.ts', import.meta.url));

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
