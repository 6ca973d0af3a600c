// Shared timing and profiling of one training step (loss → gradients → Adam) for the benchmarks.
import * as tf from '@tensorflow/tfjs-core';
import { BenchAdam } from './adam';
import type { BenchModel } from './models';

/** One training step at the full batch; returns the loss value. */
export function trainStep(model: BenchModel, opt: BenchAdam): number {
  const { value, grads } = tf.variableGrads(() => model.loss(), model.params);
  opt.step(model.params.map((p) => grads[p.name]!));
  const loss = value.dataSync()[0]!;
  tf.dispose([value, grads as unknown as tf.TensorContainer]);
  return loss;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** What {@link measure} reports. */
export interface StepTiming {
  msPerStep: number;
  stepsMs: number[];
  gflops: number;
  firstLoss: number;
  lastLoss: number;
}

/** Median ms per step over `steps` steps after `warmup` unmeasured ones. */
export function measure(model: BenchModel, opt: BenchAdam, steps: number, warmup: number): StepTiming {
  let firstLoss = NaN;
  for (let i = 0; i < warmup; i++) {
    const l = trainStep(model, opt);
    if (i === 0) firstLoss = l;
  }
  const stepsMs: number[] = [];
  let lastLoss = NaN;
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    lastLoss = trainStep(model, opt);
    stepsMs.push(performance.now() - t0);
    if (warmup === 0 && i === 0) firstLoss = lastLoss;
  }
  const ms = median(stepsMs);
  return { msPerStep: ms, stepsMs, gflops: model.flopsPerStep / ms / 1e6, firstLoss, lastLoss };
}

/** Peak tfjs tensor bytes of a step and its time by kernel (largest first). */
export interface StepProfile {
  peakBytes: number;
  kernels: { name: string; ms: number; count: number }[];
}

/** Profile one step with tf.profile (slower than an unprofiled step: use for shares, not totals). */
export async function profileStep(model: BenchModel, opt: BenchAdam): Promise<StepProfile> {
  const info = await tf.profile(() => {
    trainStep(model, opt);
  });
  const by = new Map<string, { ms: number; count: number }>();
  for (const k of info.kernels) {
    const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    const e = by.get(k.name) ?? { ms: 0, count: 0 };
    e.ms += ms;
    e.count++;
    by.set(k.name, e);
  }
  const kernels = [...by.entries()].map(([name, e]) => ({ name, ...e })).sort((a, b) => b.ms - a.ms);
  return { peakBytes: info.peakBytes, kernels };
}
