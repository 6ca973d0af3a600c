import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, test } from 'vitest';
import { Linear, Module, Rng, SGD, defineMethod, type AnyMethod, type LrScheduleLike } from '@lel/core';
import { z } from 'zod';
import { SwaOption } from './common';
import { withSwaLr } from './swa';

class Tiny extends Module {
  readonly fc = this.registerModule('fc', new Linear(2, 2, { rng: new Rng(0) }));
}

/** A method of `epochs` × 10 steps with a linearly decaying schedule from 0.1 (or none). */
function method(epochs: number, withSchedule: boolean): AnyMethod {
  return defineMethod({
    name: 'tiny',
    configSchema: z.object({}),
    build() {
      const model = new Tiny();
      return {
        model,
        optimizers: new SGD(model.trainableParameters(), { lr: 0.1 }),
        ...(withSchedule ? { schedule: { lrAt: (s: number) => 0.1 * (1 - s / (epochs * 10)) } } : {}),
        data: { labeled: () => [] as number[] },
        loss: (_batch: number) => ({ total: tf.scalar(0) }),
        epochs,
        stepsPerEpoch: 10,
      };
    },
  });
}

async function scheduleOf(m: AnyMethod): Promise<{ lrs: (s: number) => number; dispose: () => void }> {
  const parts = await m.build({}, undefined as never);
  const s = (Array.isArray(parts.schedule) ? parts.schedule[0] : parts.schedule) as LrScheduleLike;
  return { lrs: (step) => s.lrAt(step), dispose: () => parts.model!.dispose() };
}

describe('withSwaLr (swa.lr: SWALR on top of the method schedule)', () => {
  test('off unless swa.enabled and swa.lr are set: the method itself', () => {
    const m = method(4, true);
    expect(withSwaLr(m, SwaOption.parse({ lr: 0.01 }), undefined)).toBe(m);
    expect(withSwaLr(m, SwaOption.parse({ enabled: true }), undefined)).toBe(m);
  });

  test('the method schedule until swaStart of the planned steps, then swa.lr (annealSteps 0)', async () => {
    const { lrs, dispose } = await scheduleOf(withSwaLr(method(4, true), SwaOption.parse({ enabled: true, lr: 0.01, unit: 'step', swaStart: 0.5 }), undefined));
    expect(lrs(0)).toBeCloseTo(0.1);
    expect(lrs(19)).toBeCloseTo(0.1 * (1 - 19 / 40));
    for (const step of [20, 30, 39]) expect(lrs(step)).toBeCloseTo(0.01, 12);
    dispose();
  });

  test('train.maxSteps shortens the plan (as SwaCallback counts it); a cosine ramp over annealSteps', async () => {
    const { lrs, dispose } = await scheduleOf(withSwaLr(method(4, true), SwaOption.parse({ enabled: true, lr: 0.02, unit: 'step', swaStart: 0.5, annealSteps: 4 }), 20));
    const lr0 = 0.1 * (1 - 10 / 40);
    expect(lrs(9)).toBeCloseTo(0.1 * (1 - 9 / 40));
    expect(lrs(12)).toBeCloseTo(lr0 + (0.02 - lr0) * (1 - Math.cos(Math.PI * 0.5)) / 2);
    expect(lrs(14)).toBeCloseTo(0.02);
    dispose();
  });

  test("unit 'epoch' starts at an epoch boundary; an optimiser without a schedule starts from its lr", async () => {
    const { lrs, dispose } = await scheduleOf(withSwaLr(method(5, false), SwaOption.parse({ enabled: true, lr: 0.05, unit: 'epoch', swaStart: 0.5 }), undefined));
    expect(lrs(19)).toBeCloseTo(0.1);
    expect(lrs(20)).toBeCloseTo(0.05);
    dispose();
  });
});
