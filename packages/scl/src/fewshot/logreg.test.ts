import { Rng } from '@lel/core';
import { describe, expect, test } from 'vitest';
import { argmaxRows, fitLogisticRegression } from './logreg';

function blobs(rng: Rng, k: number, per: number, d: number, spread = 0.6) {
  const centres = Array.from({ length: k }, () => Array.from({ length: d }, () => rng.normal()));
  const data = new Float64Array(k * per * d);
  const labels: number[] = [];
  for (let c = 0; c < k; c++) {
    for (let j = 0; j < per; j++) {
      const i = c * per + j;
      for (let t = 0; t < d; t++) data[i * d + t] = centres[c]![t]! + spread * rng.normal();
      labels.push(c * 3 + 1); // non-contiguous labels: classes must come out sorted
    }
  }
  return { x: { data, shape: [k * per, d] as [number, number] }, labels };
}

/** Gradient of C·Σ CE + ½‖W‖² at the fitted solution, in the original (D-dimensional) space. */
function kktResidual(fit: ReturnType<typeof fitLogisticRegression>, x: { data: Float64Array; shape: [number, number] }, labels: number[], C: number): number {
  const [n, d] = x.shape;
  const k = fit.classes.length;
  const p = fit.predictProba(x);
  const g = Float64Array.from(fit.coef);
  const gb = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    let norm = 0;
    for (let t = 0; t < d; t++) norm += x.data[i * d + t]! ** 2;
    norm = Math.sqrt(norm);
    for (let c = 0; c < k; c++) {
      const r = C * (p[i * k + c]! - (fit.classes[c] === labels[i] ? 1 : 0));
      gb[c] = gb[c]! + r;
      for (let t = 0; t < d; t++) g[t * k + c] = g[t * k + c]! + (r * x.data[i * d + t]!) / norm;
    }
  }
  return Math.max(...g.map(Math.abs), ...gb.map(Math.abs));
}

describe('fitLogisticRegression', () => {
  test.each([
    ['1-shot ×5 aug, D > n', 5, 5, 40, 1],
    ['5-shot, D < n', 5, 5, 12, 1],
    ['3 classes, C = 10', 3, 8, 6, 10],
  ])('%s: reaches the optimum (gradient ~ 0), columns of W sum to 0, intercept centred', (_name, k, per, d, C) => {
    const rng = new Rng(`logreg/${k}/${d}`);
    const { x, labels } = blobs(rng, k, per, d);
    const fit = fitLogisticRegression(x, labels, { C });
    expect(fit.converged).toBe(true);
    expect(fit.classes).toEqual(Array.from({ length: k }, (_, c) => c * 3 + 1));
    expect(kktResidual(fit, x, labels, C)).toBeLessThan(1e-7);
    for (let t = 0; t < d; t++) {
      let s = 0;
      for (let c = 0; c < k; c++) s += fit.coef[t * k + c]!;
      expect(Math.abs(s)).toBeLessThan(1e-8);
    }
    expect(Math.abs(fit.intercept.reduce((a, b) => a + b, 0))).toBeLessThan(1e-12);
    // Well-separated training points are classified correctly; predict = argmax of predictProba.
    const pred = fit.predict(x);
    expect(Array.from(pred)).toEqual(Array.from(argmaxRows(fit.predictProba(x), k, fit.classes)));
    expect(pred.filter((p, i) => p === labels[i]).length / labels.length).toBeGreaterThan(0.9);
  });

  test('duplicated support rows (1-shot tiled without augmentation) are fine', () => {
    const x = { data: [1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1, 0], shape: [4, 3] };
    const fit = fitLogisticRegression(x, [0, 0, 1, 1]);
    expect(fit.converged).toBe(true);
    const p = fit.predictProba({ data: [1, 0, 0, 0, 1, 0, 0, 0, 1], shape: [3, 3] });
    expect(p[0]!).toBeGreaterThan(0.5);
    expect(p[3]!).toBeGreaterThan(0.5);
    expect(Math.abs(p[4]! - p[5]!)).toBeLessThan(1e-9); // an orthogonal query stays undecided
  });

  test('bad inputs are rejected naming the argument', () => {
    const x = { data: [1, 0, 0, 1], shape: [2, 2] };
    expect(() => fitLogisticRegression(x, [0, 0])).toThrow(/at least 2 classes/);
    expect(() => fitLogisticRegression(x, [0, 1, 1])).toThrow(/labels has 3 entries for 2/);
    expect(() => fitLogisticRegression(x, [0, 1], { C: 0 })).toThrow(/C must be/);
    expect(() => fitLogisticRegression({ data: [1, NaN, 0, 1], shape: [2, 2] }, [0, 1])).toThrow(/support\[0, 1\] = NaN/);
    const fit = fitLogisticRegression(x, [0, 1]);
    expect(() => fit.predictProba({ data: [1, 2, 3], shape: [1, 3] })).toThrow(/3 features, the model was fitted on 2/);
  });
});
