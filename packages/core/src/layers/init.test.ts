import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { useBackend } from '../backend';
import { Rng } from '../random/rng';
import { expectNoLeaks } from '../testing/leaks';
import { calculateGain, computeFans, kaimingNormal, kaimingUniform, onesInit, truncatedNormal, xavierNormal, xavierUniform, zerosInit } from './init';

function stats(t: tf.Tensor): { mean: number; std: number; maxAbs: number } {
  const v = Array.from(t.dataSync());
  t.dispose();
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const std = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
  return { mean, std, maxAbs: Math.max(...v.map(Math.abs)) };
}

describe('initialisers', () => {
  beforeAll(() => useBackend('cpu'));

  test('fans follow LEL layouts ([in, out], [kh, kw, in, out]) and gains follow PyTorch', () => {
    expect(computeFans([20, 30])).toEqual({ fanIn: 20, fanOut: 30 });
    expect(computeFans([3, 5, 4, 8])).toEqual({ fanIn: 60, fanOut: 120 });
    expect(() => computeFans([7])).toThrow(/at least 2 dimensions/);
    expect(calculateGain('relu')).toBeCloseTo(Math.SQRT2, 12);
    expect(calculateGain('leaky_relu', Math.sqrt(5))).toBeCloseTo(Math.sqrt(1 / 3), 12);
    expect(calculateGain('tanh')).toBeCloseTo(5 / 3, 12);
  });

  test("kaimingUniform(a = √5) is U(±1/√fanIn): PyTorch's default Linear/Conv init", () => {
    const s = stats(kaimingUniform([100, 200], { a: Math.sqrt(5), rng: new Rng(1) }));
    expect(s.maxAbs).toBeLessThanOrEqual(0.1);
    expect(s.maxAbs).toBeGreaterThan(0.099);
    expect(s.std).toBeCloseTo(0.1 / Math.sqrt(3), 3);
  });

  test('kaimingNormal / xavier / truncatedNormal have the documented spread', () => {
    expect(stats(kaimingNormal([3, 3, 64, 64], { nonlinearity: 'relu', mode: 'fanOut', rng: new Rng(2) })).std).toBeCloseTo(Math.sqrt(2 / (9 * 64)), 3);
    expect(stats(xavierNormal([300, 100], { rng: new Rng(3) })).std).toBeCloseTo(Math.sqrt(2 / 400), 3);
    const xu = stats(xavierUniform([300, 100], { gain: 2, rng: new Rng(4) }));
    expect(xu.maxAbs).toBeLessThanOrEqual(2 * Math.sqrt(6 / 400));
    const tn = stats(truncatedNormal([20000], { rng: new Rng(5) }));
    expect(tn.maxAbs).toBeLessThanOrEqual(0.04);
    // N(0, 0.02²) truncated at 2σ has std ≈ 0.88·0.02.
    expect(tn.std).toBeCloseTo(0.02 * 0.8796, 3);
    expect(Math.abs(tn.mean)).toBeLessThan(1e-3);
  });

  test('seeded and reproducible; zeros/ones; no leaks', async () => {
    const a = kaimingUniform([4, 5], { rng: new Rng('s') });
    const b = kaimingUniform([4, 5], { rng: new Rng('s') });
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    tf.dispose([a, b]);
    expect(Array.from(zerosInit([2]).dataSync())).toEqual([0, 0]);
    expect(Array.from(onesInit([2]).dataSync())).toEqual([1, 1]);
    await expectNoLeaks(() => truncatedNormal([3, 3], { std: 1 }), { disposeResult: true });
    expect(() => truncatedNormal([2], { std: 0 })).toThrow(/std must be positive, got 0/);
  });
});
