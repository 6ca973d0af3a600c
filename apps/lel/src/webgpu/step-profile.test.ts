import * as tf from '@tensorflow/tfjs-core';
import { Linear, Rng, SGD, fit, mse, useBackend } from '@lel/core';
import { describe, expect, test } from 'vitest';
import { stepProfiler } from './step-profile';

describe('stepProfiler', () => {
  test('times the steps after the warm-up, profiles the next one per kernel, and measures only the last training', async () => {
    await useBackend('cpu');
    const profiler = stepProfiler({ warmup: 2, steps: 3 });
    const train = async (maxSteps: number) => {
      const model = new Linear(3, 2, { rng: new Rng(0) });
      const optimizer = new SGD(model.trainableParameters(), { lr: 0.1 });
      const x = tf.ones([4, 3]);
      const y = tf.zeros([4, 2]);
      await fit({ model, optimizer, step: () => ({ total: mse(model.forward(x), y) as tf.Scalar }), data: { labeled: () => [0] }, maxSteps, disposeBatches: false, progress: 'none', callbacks: [profiler.callback] });
      tf.dispose([x, y]);
      model.dispose();
      optimizer.dispose();
    };
    await train(7); // a first training (as a KD teacher's), discarded
    await train(8);
    const r = await profiler.result();
    expect(r.stepMs).toHaveLength(3);
    expect(r.msPerStep).toBeGreaterThanOrEqual(0);
    expect(r.profiledStep).toBe(6);
    // One step of a linear layer with MSE and SGD: its matmul forward and backward are in the profile.
    expect(r.profile!.find((k) => k.name === 'BatchMatMul')?.calls).toBeGreaterThanOrEqual(2);
    expect(r.kernels).toBe(r.profile!.reduce((a, k) => a + k.calls, 0));
    expect(tf.engine().state.profiling).toBe(false);
    // Every step's loss of the last training (not the first's 7): SGD on a fixed batch, so it falls.
    expect(r.losses).toHaveLength(8);
    expect(r.losses.every((l) => Number.isFinite(l) && l > 0)).toBe(true);
    expect(r.losses[7]).toBeLessThan(r.losses[0]!);
  });

  test('a run shorter than warm-up + steps has no profile', async () => {
    await useBackend('cpu');
    const profiler = stepProfiler({ warmup: 1, steps: 5 });
    const model = new Linear(2, 1, { rng: new Rng(1) });
    const optimizer = new SGD(model.trainableParameters(), { lr: 0.1 });
    const x = tf.ones([2, 2]);
    await fit({ model, optimizer, step: () => ({ total: tf.mean(model.forward(x)) as tf.Scalar }), data: { labeled: () => [0] }, maxSteps: 3, disposeBatches: false, progress: 'none', callbacks: [profiler.callback] });
    const r = await profiler.result();
    expect(r.stepMs).toHaveLength(2);
    expect(r.losses).toHaveLength(3);
    expect(r.profile).toBeUndefined();
    tf.dispose(x);
    model.dispose();
    optimizer.dispose();
  });
});
