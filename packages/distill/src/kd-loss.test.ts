import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { useBackend } from '@lel/core';
import { expectNoLeaks, gradCheck } from '@lel/core/testing';
import { kdLoss } from './kd-loss';
import { ensembleSoftTargets } from './ensemble';

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
    expect(Math.max(...Array.from(gt.dataSync()).map(Math.abs))).toBe(0);
    expect(Math.max(...Array.from(gs.dataSync()).map(Math.abs))).toBeGreaterThan(1e-4);
    tf.dispose([teacherW, studentW, x, labels, gt, gs]);
  });

  test('gradient with respect to the student matches finite differences', () => {
    const teacher = tf.tensor2d(Tl);
    const labels = tf.tensor1d(Y, 'int32');
    const s = tf.tensor2d(S);
    gradCheck((z) => kdLoss({ studentLogits: z, teacherLogits: teacher, labels }, { alpha: 0.4, temperature: 3 }).total, [s]);
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

  test('leaves no tensors behind beyond its returned parts', async () => {
    const s = tf.tensor2d(S);
    const t = tf.tensor2d(Tl);
    const y = tf.tensor1d(Y, 'int32');
    await expectNoLeaks(() => kdLoss({ studentLogits: s, teacherLogits: t, labels: y }), { disposeResult: true });
    tf.dispose([s, t, y]);
  });
});
