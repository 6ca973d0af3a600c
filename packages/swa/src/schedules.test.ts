import { describe, expect, test } from 'vitest';
import { swaLrSchedule } from './swa-lr-schedule';
import { averagingPlan, swaAveragingSteps } from './swa-start-schedule';

describe('swaLrSchedule', () => {
  test('wraps the run schedule: base before the start, ramp to swaLr after, then holds', () => {
    const base = { lrAt: (s: number) => 1 - s / 100 }; // a per-step linear decay
    const sched = swaLrSchedule({ base, swaLr: 0.1, startStep: 50, annealEpochs: 10, annealStrategy: 'linear' });
    expect(sched.lrAt(10)).toBeCloseTo(0.9);
    expect(sched.annealFrom).toBeCloseTo(0.5);
    expect(sched.lrAt(50)).toBeCloseTo(0.5);
    expect(sched.lrAt(55)).toBeCloseTo(0.3);
    expect(sched.lrAt(60)).toBeCloseTo(0.1);
    expect(sched.lrAt(500)).toBeCloseTo(0.1);
  });

  test("unit 'epoch' anneals once per epoch (piecewise constant within an epoch)", () => {
    const sched = swaLrSchedule({ base: 0.2, swaLr: 0.1, startStep: 30, annealEpochs: 2, annealStrategy: 'linear', unit: 'epoch', stepsPerEpoch: 10 });
    expect(sched.lrAt(30)).toBeCloseTo(0.2);
    expect(sched.lrAt(39)).toBeCloseTo(0.2);
    expect(sched.lrAt(40)).toBeCloseTo(0.15);
    expect(sched.lrAt(49)).toBeCloseTo(0.15);
    expect(sched.lrAt(50)).toBeCloseTo(0.1);
  });

  test('annealEpochs = 0 switches to swaLr at the start (torch PR #47579)', () => {
    const sched = swaLrSchedule({ base: 0.3, swaLr: 0.05, startStep: 5, annealEpochs: 0 });
    expect(sched.lrAt(4)).toBe(0.3);
    expect(sched.lrAt(5)).toBeCloseTo(0.05);
  });

  test('bad options are refused', () => {
    expect(() => swaLrSchedule({ base: 0.1, swaLr: -1 })).toThrow(/swaLr/);
    expect(() => swaLrSchedule({ base: 0.1, swaLr: 0.1, unit: 'epoch' })).toThrow(/stepsPerEpoch/);
    expect(() => swaLrSchedule({ base: 0.1, swaLr: 0.1, annealStrategy: 'exp' as never })).toThrow(/annealStrategy/);
  });
});

describe('averagingPlan', () => {
  test('first average right after the start step, then every k steps', () => {
    const plan = averagingPlan({ totalSteps: 20, swaStart: 0.5, every: 3 });
    expect(plan.startStep).toBe(10);
    expect([9, 10, 11, 12, 13, 14, 17, 20].map((t) => plan.shouldAverage(t))).toEqual([false, false, true, false, false, true, true, true]);
    expect(swaAveragingSteps({ totalSteps: 20, swaStart: 0.5, every: 3 }).steps).toEqual([11, 14, 17, 20]);
  });

  test('bad options are refused', () => {
    expect(() => averagingPlan({ totalSteps: 10, swaStart: 1, every: 1 })).toThrow(/fraction/);
    expect(() => averagingPlan({ totalSteps: 10, swaStart: 0.5, every: 0 })).toThrow(/every/);
    expect(() => averagingPlan({ totalSteps: 0, swaStart: 0.5, every: 1 })).toThrow(/totalSteps/);
  });
});
