import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { useBackend } from '@lel/core';
import { expectNoLeaks, gradCheck } from '@lel/core/testing';
import { kdLoss } from './kd-loss';
import { ensembleSoftTargets } from './ensemble';
import { continuationKdLoss } from './continuation-loss';
import { annealingKdLoss } from './annealing';
import { labelSmoothingCrossEntropy } from './label-smoothing';
import { confidencePenaltyLoss } from './confidence-penalty';
import { UNLABELLED } from './validate';

/** Plain-JS reference: mean CE of row-major logits. */
function refCe(logits: number[][], labels: number[]): number {
  let s = 0;
  logits.forEach((row, b) => {
    const m = Math.max(...row);
    const lse = m + Math.log(row.reduce((a, z) => a + Math.exp(z - m), 0));
    s += lse - row[labels[b]!]!;
  });
  return s / logits.length;
}

const S = [
  [1.5, -0.3, 0.2, 2.1],
  [-1.0, 0.4, 0.9, 0.0],
  [0.3, 0.3, -2.2, 1.1],
];
const Tl = [
  [2.0, -1.0, 0.5, 3.0],
  [-0.5, 1.5, 0.2, 0.1],
  [0.0, 0.8, -1.0, 2.5],
];
const Y = [3, 2, 0];

describe('kdLoss', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  test('alpha = 1 reduces to plain cross-entropy', () => {
    tf.tidy(() => {
      const { total, hard } = kdLoss({ studentLogits: tf.tensor2d(S), teacherLogits: tf.tensor2d(Tl), labels: tf.tensor1d(Y, 'int32') }, { alpha: 1, temperature: 3 });
      expect(total.dataSync()[0]).toBeCloseTo(refCe(S, Y), 5);
      expect(hard.dataSync()[0]).toBeCloseTo(refCe(S, Y), 5);
    });
  });

  test('alpha = 0 keeps the T² factor (LEL contract, unlike torchdistill)', () => {
    tf.tidy(() => {
      const T = 5;
      const { total, soft } = kdLoss({ studentLogits: tf.tensor2d(S), teacherLogits: tf.tensor2d(Tl) }, { alpha: 0, temperature: T });
      expect(total.dataSync()[0]).toBeCloseTo(T * T * soft.dataSync()[0]!, 4);
      expect(soft.dataSync()[0]).toBeGreaterThan(0);
    });
  });

  test('soft term vanishes when student equals teacher', () => {
    tf.tidy(() => {
      const { soft } = kdLoss({ studentLogits: tf.tensor2d(Tl), teacherLogits: tf.tensor2d(Tl), labels: tf.tensor1d(Y, 'int32') });
      expect(Math.abs(soft.dataSync()[0]!)).toBeLessThan(1e-6);
    });
  });

  test('teacher receives no gradient, the student does', () => {
    const teacherW = tf.variable(tf.tensor2d([[0.5, -1, 0.3, 2], [1, 0.2, -0.4, 0.1]]));
    const studentW = tf.variable(tf.tensor2d([[0.1, 0.2, -0.3, 0.4], [-0.2, 0.5, 0.1, 0.0]]));
    const x = tf.tensor2d([[1, 2], [0.5, -1], [2, 0.3]]);
    const labels = tf.tensor1d(Y, 'int32');
    const { grads } = tf.variableGrads(() => {
      // The teacher forward runs inside the tape on purpose: the loss itself must stop the gradient.
      const teacherLogits = tf.matMul(x, teacherW);
      return kdLoss({ studentLogits: tf.matMul(x, studentW), teacherLogits, labels }, { alpha: 0.3, temperature: 2 }).total;
    }, [teacherW, studentW]);
    const gt = grads[teacherW.name]!;
    const gs = grads[studentW.name]!;
    // stopGradient leaves no tape node: the teacher's weights get no gradient at all (absent, or zeros).
    expect(gt === undefined || Math.max(...Array.from(gt.dataSync()).map(Math.abs)) === 0).toBe(true);
    expect(Math.max(...Array.from(gs.dataSync()).map(Math.abs))).toBeGreaterThan(1e-4);
    tf.dispose([teacherW, studentW, x, labels, ...(gt ? [gt] : []), gs]);
  });

  test('gradient with respect to the student matches finite differences', async () => {
    const teacher = tf.tensor2d(Tl);
    const labels = tf.tensor1d(Y, 'int32');
    const s = tf.tensor2d(S);
    await gradCheck((z) => kdLoss({ studentLogits: z, teacherLogits: teacher, labels }, { alpha: 0.4, temperature: 3 }).total, [s]);
    tf.dispose([teacher, labels, s]);
  });

  test('teacher/student class-count mismatch is a clear error', () => {
    tf.tidy(() => {
      expect(() => kdLoss({ studentLogits: tf.zeros([3, 4]), teacherLogits: tf.zeros([3, 5]), labels: tf.tensor1d(Y, 'int32') })).toThrow(
        /class-count mismatch.*student predicts 4 classes but the teacher 5/,
      );
      expect(() => kdLoss({ studentLogits: tf.zeros([3, 4]), teacherLogits: [tf.zeros([3, 4]), tf.zeros([3, 6])], labels: tf.tensor1d(Y, 'int32') })).toThrow(
        /teacher 1 logits.*class-count mismatch|class-count mismatch/,
      );
    });
  });

  test('bad inputs are refused', () => {
    tf.tidy(() => {
      const s = tf.zeros([3, 4]);
      const t = tf.zeros([3, 4]);
      expect(() => kdLoss({ studentLogits: s, teacherLogits: t })).toThrow(/labels are required/);
      expect(() => kdLoss({ studentLogits: s, teacherLogits: t, labels: tf.tensor1d([0, 4, 1], 'int32') })).toThrow(/label 4 at row 1/);
      expect(() => kdLoss({ studentLogits: s, labels: tf.tensor1d(Y, 'int32') })).toThrow(/exactly one/);
      expect(() => kdLoss({ studentLogits: s, teacherLogits: t, labels: tf.tensor1d(Y, 'int32') }, { alpha: 1.5 })).toThrow(/alpha/);
      expect(() => kdLoss({ studentLogits: s, teacherLogits: tf.zeros([2, 4]), labels: tf.tensor1d(Y, 'int32') })).toThrow(/batch mismatch/);
    });
  });

  test('several teachers distil their averaged soft targets', () => {
    tf.tidy(() => {
      const t1 = tf.tensor2d(Tl);
      const t2 = tf.mul(tf.tensor2d(S), -1) as tf.Tensor2D;
      const labels = tf.tensor1d(Y, 'int32');
      const s = tf.mul(tf.tensor2d(S), 0.5) as tf.Tensor2D;
      const a = kdLoss({ studentLogits: s, teacherLogits: [t1, t2], labels }, { temperature: 2 });
      const b = kdLoss({ studentLogits: s, teacherProbs: ensembleSoftTargets([t1, t2], 2), labels }, { temperature: 2 });
      expect(a.total.dataSync()[0]).toBeCloseTo(b.total.dataSync()[0]!, 6);
      // And it is not the single-teacher loss.
      const c = kdLoss({ studentLogits: s, teacherLogits: t1, labels }, { temperature: 2 });
      expect(Math.abs(a.total.dataSync()[0]! - c.total.dataSync()[0]!)).toBeGreaterThan(1e-3);
    });
  });

  test('unlabelled rows (transfer set): the hard CE averages the labelled rows, the soft term every row', () => {
    tf.tidy(() => {
      const s = tf.tensor2d(S);
      const t = tf.tensor2d(Tl);
      const mixed = tf.tensor1d([Y[0]!, UNLABELLED, Y[2]!], 'int32');
      const r = kdLoss({ studentLogits: s, teacherLogits: t, labels: mixed }, { alpha: 0.3, temperature: 2 });
      const full = kdLoss({ studentLogits: s, teacherLogits: t, labels: tf.tensor1d(Y, 'int32') }, { alpha: 0.3, temperature: 2 });
      expect(r.hard.dataSync()[0]).toBeCloseTo(refCe([S[0]!, S[2]!], [Y[0]!, Y[2]!]), 5);
      expect(r.soft.dataSync()[0]).toBeCloseTo(full.soft.dataSync()[0]!, 6);
      expect(r.total.dataSync()[0]).toBeCloseTo(0.3 * r.hard.dataSync()[0]! + 0.7 * 4 * r.soft.dataSync()[0]!, 5);
      // A batch of transfer rows only: no hard term at all (not NaN).
      const none = kdLoss({ studentLogits: s, teacherLogits: t, labels: tf.tensor1d([UNLABELLED, UNLABELLED, UNLABELLED], 'int32') }, { alpha: 0.3, temperature: 2 });
      expect(none.hard.dataSync()[0]).toBe(0);
      expect(none.total.dataSync()[0]).toBeCloseTo(0.7 * 4 * full.soft.dataSync()[0]!, 5);
    });
  });

  test('unlabelled rows get gradient only from the teacher', async () => {
    const s = tf.tensor2d(S);
    const t = tf.tensor2d(Tl);
    const labels = tf.tensor1d([Y[0]!, UNLABELLED, Y[2]!], 'int32');
    // α = 1: only the hard term, so the unlabelled row's logits get no gradient.
    const g = tf.grad((z: tf.Tensor) => kdLoss({ studentLogits: z, teacherLogits: t, labels }, { alpha: 1 }).total)(s);
    const rows = g.arraySync() as number[][];
    expect(rows[1]!.every((v) => v === 0)).toBe(true);
    expect(Math.max(...rows[0]!.map(Math.abs))).toBeGreaterThan(1e-3);
    await gradCheck((z) => kdLoss({ studentLogits: z, teacherLogits: t, labels }, { alpha: 0.4, temperature: 3 }).total, [s]);
    tf.dispose([s, t, labels, g]);
  });

  test('Continuation-KD and Annealing-KD take unlabelled rows; label smoothing and the confidence penalty refuse them', () => {
    tf.tidy(() => {
      const s = tf.tensor2d(S);
      const t = tf.tensor2d(Tl);
      const mixed = tf.tensor1d([UNLABELLED, Y[1]!, UNLABELLED], 'int32');
      const c = continuationKdLoss({ studentLogits: s, teacherLogits: t, labels: mixed }, { psi: 0.25, phi: 0.5, margin: 0.1 });
      expect(c.hard.dataSync()[0]).toBeCloseTo(refCe([S[1]!], [Y[1]!]), 5);
      expect(c.hinge.shape).toEqual([3]);
      expect(c.total.dataSync()[0]).toBeCloseTo(0.25 * c.hard.dataSync()[0]! + 0.75 * c.soft.dataSync()[0]!, 5);
      const a = annealingKdLoss({ studentLogits: s, teacherLogits: t, labels: tf.tensor1d([UNLABELLED, UNLABELLED, UNLABELLED], 'int32') }, { stage: 2, phi: 1 });
      expect(a.total.dataSync()[0]).toBe(0);
      expect(() => labelSmoothingCrossEntropy(s, mixed)).toThrow(/row 0 is UNLABELLED, but this loss needs a label on every row/);
      expect(() => confidencePenaltyLoss(s, mixed)).toThrow(/UNLABELLED/);
      expect(() => kdLoss({ studentLogits: s, teacherLogits: t, labels: tf.tensor1d([0, -2, 1], 'int32') })).toThrow(/label -2 at row 1 is outside \[0, 4\) and is not UNLABELLED \(-1\)/);
    });
  });

  test('leaves no tensors behind beyond its returned parts', async () => {
    const s = tf.tensor2d(S);
    const t = tf.tensor2d(Tl);
    const y = tf.tensor1d(Y, 'int32');
    await expectNoLeaks(() => kdLoss({ studentLogits: s, teacherLogits: t, labels: y }), { disposeResult: true });
    tf.dispose([s, t, y]);
  });
});
