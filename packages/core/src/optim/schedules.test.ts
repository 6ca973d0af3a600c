import { describe, expect, test } from 'vitest';
import { constantLr, cosineWithWarmup, linearWithWarmup, polyLr, stepLr } from './schedules';

describe('learning-rate schedules', () => {
  test('polyLr: CCT Poly with optional warm-up, 0 from maxIter on', () => {
    const s = polyLr({ baseLr: 0.01, maxIter: 100 });
    expect(s.lrAt(0)).toBe(0.01);
    expect(s.lrAt(50)).toBeCloseTo(0.01 * 0.5 ** 0.9, 15);
    expect(s.lrAt(100)).toBe(0);
    expect(s.lrAt(150)).toBe(0);
    const w = polyLr({ baseLr: 0.01, maxIter: 100, power: 1, warmup: 10 });
    expect(w.lrAt(0)).toBe(0);
    expect(w.lrAt(5)).toBeCloseTo(0.005, 15);
    expect(w.lrAt(10)).toBeCloseTo(0.009, 15);
  });

  test('cosineWithWarmup: HF cosine, clamped at the end, optional floor', () => {
    const s = cosineWithWarmup({ baseLr: 1, warmupSteps: 10, totalSteps: 110 });
    expect(s.lrAt(5)).toBe(0.5);
    expect(s.lrAt(10)).toBe(1);
    expect(s.lrAt(60)).toBeCloseTo(0.5, 15);
    expect(s.lrAt(110)).toBeCloseTo(0, 15);
    expect(s.lrAt(500)).toBeCloseTo(0, 15);
    const f = cosineWithWarmup({ baseLr: 1, warmupSteps: 0, totalSteps: 100, minLr: 0.1 });
    expect(f.lrAt(100)).toBeCloseTo(0.1, 15);
    expect(f.lrAt(50)).toBeCloseTo(0.55, 15);
  });

  test('linearWithWarmup, stepLr and constantLr', () => {
    const l = linearWithWarmup({ baseLr: 1, warmupSteps: 10, totalSteps: 110 });
    expect([l.lrAt(0), l.lrAt(5), l.lrAt(10), l.lrAt(60), l.lrAt(110), l.lrAt(200)]).toEqual([0, 0.5, 1, 0.5, 0, 0]);
    const s = stepLr({ baseLr: 1, stepSize: 10, gamma: 0.5 });
    expect([s.lrAt(0), s.lrAt(9), s.lrAt(10), s.lrAt(25)]).toEqual([1, 1, 0.5, 0.25]);
    expect(constantLr({ baseLr: 0.3 }).lrAt(1000)).toBe(0.3);
  });

  test('bad options and steps are rejected by name', () => {
    expect(() => polyLr({ baseLr: 0.1, maxIter: 0 })).toThrow(/polyLr: maxIter must be a finite number > 0, got 0/);
    expect(() => cosineWithWarmup({ baseLr: 0.1, warmupSteps: 0, totalSteps: 10, minLr: 1 })).toThrow(/minLr must be in \[0, baseLr = 0.1\]/);
    expect(() => stepLr({ baseLr: 0.1, stepSize: 0.5 })).toThrow(/stepSize must be a positive integer/);
    expect(() => constantLr({ baseLr: 0.1 }).lrAt(-1)).toThrow(/constantLr.lrAt: step must be a finite number >= 0, got -1/);
  });
});
