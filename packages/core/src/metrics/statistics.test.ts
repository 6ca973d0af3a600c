import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, test } from 'vitest';
import { studentTQuantile, regularizedIncompleteBeta } from './student-t';
import { meanConfidenceInterval } from './confidence-interval';
import { accuracy, f1Binary, matthewsCorrcoef } from './classification';
import { pearson, rankData, spearman } from './correlation';

describe('studentTQuantile', () => {
  // scipy 1.17 stats.t.ppf(p, df).
  const cases: [number, number, number][] = [
    [0.975, 1, 12.706204736174694],
    [0.975, 2, 4.302652729749462],
    [0.975, 9, 2.262157162798205],
    [0.95, 7, 1.8945786050900062],
    [0.975, 599, 1.9639322489452784],
    [0.6, 3, 0.2766706623326898],
    [0.999999, 1, 318309.88617359026],
    [0.995, 30, 2.7499956535672254],
    [0.025, 4, -2.7764451051977943],
    [0.75, 0.5, 1.5537739740300383],
    [0.99, 2.5, 5.353111173030872],
    [1e-10, 3, -2225.769284683093],
  ];
  test.each(cases)('t.ppf(%f, %f) to 1e-10 relative', (p, df, expected) => {
    expect(Math.abs(studentTQuantile(p, df) - expected)).toBeLessThanOrEqual(1e-10 * Math.abs(expected));
  });
  test('closed forms and symmetry', () => {
    expect(studentTQuantile(0.5, 3)).toBe(0);
    expect(studentTQuantile(0.9, 1)).toBeCloseTo(Math.tan(Math.PI * 0.4), 12);
    expect(studentTQuantile(0.1, 7)).toBeCloseTo(-studentTQuantile(0.9, 7), 13);
    expect(regularizedIncompleteBeta(0.3, 1, 1)).toBeCloseTo(0.3, 14);
    expect(regularizedIncompleteBeta(0.3, 2, 3) + regularizedIncompleteBeta(0.7, 3, 2)).toBeCloseTo(1, 14);
  });
  test('rejects p outside (0, 1) and bad df', () => {
    expect(() => studentTQuantile(1, 3)).toThrow(/p must be in \(0, 1\)/);
    expect(() => studentTQuantile(0.5, 0)).toThrow(/df must be/);
  });
});

describe('meanConfidenceInterval', () => {
  test('SCL convention: t quantile × standard error', () => {
    const v = [0.5, 0.7, 0.6, 0.8];
    const r = meanConfidenceInterval(v);
    const std = Math.sqrt(v.reduce((s, x) => s + (x - 0.65) ** 2, 0) / 3);
    expect(r.mean).toBeCloseTo(0.65, 14);
    expect(r.std).toBeCloseTo(std, 14);
    expect(r.tQuantile).toBeCloseTo(3.1824463052837078, 12); // scipy t.ppf(0.975, 3)
    expect(r.halfWidth).toBeCloseTo((r.tQuantile * std) / 2, 14);
    const t = tf.tensor1d(v);
    expect(() => meanConfidenceInterval(t as never, 0.9)).toThrow(/got a tensor; these metrics take host values: read it first with `await readValues\(t\)`/);
    t.dispose();
  });
  test('rejects fewer than 2 values, non-finite values and a bad confidence', () => {
    expect(() => meanConfidenceInterval([])).toThrow(/at least 2 values, got 0/);
    expect(() => meanConfidenceInterval([1, NaN])).toThrow(/values\[1\] = NaN/);
    expect(() => meanConfidenceInterval([1, 2], 1)).toThrow(/confidence must be in \(0, 1\)/);
  });
});

describe('classification metrics', () => {
  test('accuracy, F1 and MCC', () => {
    expect(accuracy([0, 1, 2, 2], [0, 2, 2, 2])).toBe(0.75);
    expect(f1Binary([1, 1, 0, 0], [1, 0, 1, 0])).toEqual({ tp: 1, fp: 1, fn: 1, tn: 1, f1: 0.5 });
    expect(f1Binary([0, 0], [0, 0]).f1).toBe(0);
    expect(matthewsCorrcoef([1, 0, 1, 0], [1, 0, 1, 0])).toBe(1);
    expect(matthewsCorrcoef([1, 1, 1], [1, 1, 0])).toBe(0);
  });
  test('reject empty, mismatched and non-binary input', () => {
    expect(() => accuracy([], [])).toThrow(/accuracy: "yTrue" is empty/);
    expect(() => f1Binary([1, 0], [1])).toThrow(/f1Binary: "yTrue" has 2 values but "yPred" has 1/);
    expect(() => matthewsCorrcoef([1, 2], [1, 0])).toThrow(/"yTrue"\[1\] = 2 is not a binary label/);
  });
});

describe('correlations', () => {
  test('Pearson and Spearman with average ranks for ties', () => {
    expect(pearson([1, 2, 3], [2, 4, 6])).toBeCloseTo(1, 14);
    expect(pearson([1, 2, 3], [3, 2, 1])).toBeCloseTo(-1, 14);
    expect(rankData([10, 20, 10, 30, 20, 10])).toEqual([2, 4.5, 2, 6, 4.5, 2]);
    expect(spearman([1, 2, 3, 4], [1, 4, 9, 16])).toBeCloseTo(1, 14);
    expect(Number.isNaN(pearson([1, 1, 1], [1, 2, 3]))).toBe(true);
  });
  test('reject empty, mismatched and too short input', () => {
    expect(() => pearson([], [])).toThrow(/pearson: "x" is empty/);
    expect(() => spearman([1, 2], [1])).toThrow(/spearman: "x" has 2 values but "y" has 1/);
    expect(() => pearson([1], [1])).toThrow(/at least 2 values/);
    expect(() => rankData([1, NaN])).toThrow(/value 1 is NaN/);
  });
});
