import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { useBackend } from '@lel/core';
import { expectNoLeaks } from '@lel/core/testing';
import { continuationSchedule } from './continuation-schedule';
import { continuationKdLoss } from './continuation-loss';
import { annealingKdLoss, annealingKdSchedule } from './annealing';
import { psiAt } from './psi-schedule';

describe('continuationSchedule', () => {
  test('never produces T < 1, and φ stays in [1/T_max, 1]', () => {
    for (let n = 1; n <= 60; n++) {
      for (let tMax = 1; tMax <= 25; tMax++) {
        const s = continuationSchedule({ epochs: n, tMax });
        expect(Math.min(...s.T)).toBeGreaterThanOrEqual(1);
        expect(Math.max(...s.T)).toBeLessThanOrEqual(tMax);
        for (const phi of s.phi) {
          expect(phi).toBeGreaterThanOrEqual(1 / tMax - 1e-12);
          expect(phi).toBeLessThanOrEqual(1);
        }
        // T never increases.
        for (let i = 1; i < n; i++) expect(s.T[i]!).toBeLessThanOrEqual(s.T[i - 1]!);
      }
    }
  });

  test('the paper NLU setting reaches T = 1 and ψ = 1 by the end', () => {
    const s = continuationSchedule({ epochs: 30, tMax: 10 });
    expect(s.T.at(-1)).toBe(1);
    expect(s.phi.at(-1)).toBe(1);
    expect(s.psi[19]).toBe(0.5);
    expect(s.psi[20]).toBe(1);
    expect(psiAt({ kind: 'linear', rampEpochs: 150 }, 75)).toBe(0.5);
  });

  test('invalid settings are refused', () => {
    expect(() => continuationSchedule({ epochs: 0, tMax: 10 })).toThrow(/epochs/);
    expect(() => continuationSchedule({ epochs: 10, tMax: 0 })).toThrow(/tMax/);
    expect(() => continuationSchedule({ epochs: 10, tMax: 2.5 })).toThrow(/tMax/);
  });
});

describe('Continuation-KD reduces to Annealing-KD', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  test('with m = 0 and a step ψ, every epoch has the same φ and the same loss', () => {
    const n1 = 12;
    const n2 = 5;
    const tMax = 4;
    const ckd = continuationSchedule({ epochs: n1 + n2, tMax, annealEpochs: n1, psi: { kind: 'step', switchEpoch: n1 } });
    const akd = annealingKdSchedule({ stage1Epochs: n1, stage2Epochs: n2, tMax });
    expect(akd.length).toBe(n1 + n2);
    tf.tidy(() => {
      const s = tf.tensor2d([[1.2, -0.4, 0.3], [0.1, 2.0, -1.0], [-0.7, 0.2, 0.9]]);
      const t = tf.tensor2d([[3.0, -1.0, 0.0], [0.5, 4.0, -2.0], [-1.0, 0.0, 2.5]]);
      const y = tf.tensor1d([0, 1, 2], 'int32');
      for (const e of akd) {
        const i = e.epoch - 1;
        // φ matters only in stage 1 (ψ = 1 afterwards gives CE whatever φ is).
        if (e.stage === 1) {
          expect(ckd.phi[i]).toBeCloseTo(e.phi, 12);
          expect(ckd.T[i]).toBe(e.T);
        }
        expect(ckd.psi[i]).toBe(e.stage === 1 ? 0 : 1);
        const a = annealingKdLoss({ studentLogits: s, teacherLogits: t, labels: y }, { stage: e.stage, phi: e.phi });
        const c = continuationKdLoss({ studentLogits: s, teacherLogits: t, labels: y }, { psi: ckd.psi[i]!, phi: ckd.phi[i]!, margin: 0 });
        expect(c.total.dataSync()[0]).toBeCloseTo(a.total.dataSync()[0]!, 5);
      }
    });
  });
});

describe('continuationKdLoss', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  test('differences below the margin m·φ are neither penalised nor pushed by the gradient', () => {
    const t = tf.tensor2d([[1, 0], [0, 1]]);
    const y = tf.tensor1d([0, 1], 'int32');
    const s = tf.variable(tf.tensor2d([[0.6, 0.1], [3, -2]])); // row 0 close to φ·t, row 1 far
    const { value, grads } = tf.variableGrads(() => continuationKdLoss({ studentLogits: s, teacherLogits: t, labels: y }, { psi: 0, phi: 0.5, margin: 1 }).total, [s]);
    const g = grads[s.name]!.arraySync() as number[][];
    expect(g[0]).toEqual([0, 0]);
    expect(Math.abs(g[1]![0]!)).toBeGreaterThan(0.1);
    // Row 0: ‖(0.1, 0.1)‖² = 0.02 < m·φ = 0.5 → 0; row 1: ‖(3, −2.5)‖² − 0.5 = 14.75; mean = 7.375.
    expect(value.dataSync()[0]).toBeCloseTo(7.375, 5);
    tf.dispose([t, y, s, value, grads[s.name]!]);
  });

  test('teacher receives no gradient', () => {
    const tw = tf.variable(tf.tensor2d([[1, -1, 0.5]]));
    const sw = tf.variable(tf.tensor2d([[0.2, 0.3, -0.1]]));
    const x = tf.tensor2d([[1], [2]]);
    const y = tf.tensor1d([0, 2], 'int32');
    const { value, grads } = tf.variableGrads(
      () => continuationKdLoss({ studentLogits: tf.matMul(x, sw), teacherLogits: tf.matMul(x, tw), labels: y }, { psi: 0.3, phi: 0.7, margin: 0 }).total,
      [tw, sw],
    );
    // stopGradient leaves no tape node: the teacher's weights get no gradient at all (absent, or zeros).
    const gt = grads[tw.name];
    expect(gt === undefined || Array.from(gt.dataSync()).every((v) => v === 0)).toBe(true);
    expect(Array.from(grads[sw.name]!.dataSync()).some((v) => Math.abs(v) > 1e-4)).toBe(true);
    tf.dispose([tw, sw, x, y, value, ...Object.values(grads).filter((g) => g !== undefined)]);
  });

  test('class-count mismatch and bad schedule values are clear errors', () => {
    tf.tidy(() => {
      const y = tf.tensor1d([0, 1], 'int32');
      expect(() => continuationKdLoss({ studentLogits: tf.zeros([2, 3]), teacherLogits: tf.zeros([2, 10]), labels: y }, { psi: 0, phi: 1, margin: 0 })).toThrow(
        /class-count mismatch/,
      );
      expect(() => continuationKdLoss({ studentLogits: tf.zeros([2, 3]), teacherLogits: tf.zeros([2, 3]), labels: y }, { psi: 2, phi: 1, margin: 0 })).toThrow(/psi/);
      expect(() => continuationKdLoss({ studentLogits: tf.zeros([2, 3]), teacherLogits: tf.zeros([2, 3]), labels: y }, { psi: 0, phi: 1, margin: -1 })).toThrow(/margin/);
      expect(() => annealingKdLoss({ studentLogits: tf.zeros([2, 3]), teacherLogits: tf.zeros([2, 4]), labels: y }, { stage: 1, phi: 1 })).toThrow(/class-count mismatch/);
    });
  });

  test('no leaks', async () => {
    const s = tf.randomNormal([4, 5]);
    const t = tf.randomNormal([4, 5]);
    const y = tf.tensor1d([0, 1, 2, 3], 'int32');
    await expectNoLeaks(() => continuationKdLoss({ studentLogits: s, teacherLogits: t, labels: y }, { psi: 0.5, phi: 0.5, margin: 1 }), { disposeResult: true });
    await expectNoLeaks(() => annealingKdLoss({ studentLogits: s, teacherLogits: t, labels: y }, { stage: 1, phi: 0.5 }), { disposeResult: true });
    tf.dispose([s, t, y]);
  });
});
