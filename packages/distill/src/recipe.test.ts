import '@tensorflow/tfjs-backend-cpu';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { Linear, Module, Rng, SGD, useBackend, type DataSource } from '@lel/core';
import { expectNoLeaks } from '@lel/core/testing';
import { distill, distillationStep } from './recipe';
import { frozenTeacher } from './teacher';
import { CachedLogits, computeTeacherLogits, loadOrComputeTeacherLogits } from './cached-logits';
import { kdLoss } from './kd-loss';
import { UNLABELLED } from './validate';

/** An MLP classifier of a given width (teacher and student differ in size). */
class Mlp extends Module {
  readonly l1: Linear;
  readonly l2: Linear;
  constructor(hidden: number, classes = 3, seed = 1) {
    super();
    const rng = new Rng(seed);
    this.l1 = this.registerModule('l1', new Linear(4, hidden, { rng }));
    this.l2 = this.registerModule('l2', new Linear(hidden, classes, { rng }));
  }
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.l2.forward(tf.relu(this.l1.forward(x))));
  }
}

type Batch = { x: tf.Tensor2D; y: tf.Tensor1D; ids: number[] };
const N = 24;
const X = Array.from({ length: N }, (_, i) => [Math.sin(i), Math.cos(0.7 * i), ((i * 5) % 7) / 7 - 0.5, (i % 2) - 0.5]);
const Y = X.map((r) => (r[0]! > 0.3 ? 0 : r[1]! > 0 ? 1 : 2));
const batchOf = (ids: number[]): Batch => ({ x: tf.tensor2d(ids.map((i) => X[i]!)), y: tf.tensor1d(ids.map((i) => Y[i]!), 'int32'), ids });
const data: DataSource<Batch> = (_e, rng) => {
  const order = rng.permutation(N);
  return [0, 1, 2].map((b) => batchOf(order.slice(8 * b, 8 * b + 8)));
};
const access = { studentLogits: (m: Module, b: Batch) => (m as Mlp).forward(b.x), labels: (b: Batch) => b.y };

let dir: string;
beforeAll(async () => {
  await useBackend('cpu');
  dir = mkdtempSync(join(tmpdir(), 'lel-distill-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function params(m: Module): number[][] {
  return m.namedParameters().map(([, p]) => Array.from(p.variable.dataSync()));
}

describe('distill recipe', () => {
  test.each([
    { method: 'none' },
    { method: 'kd' },
    { method: 'annealing-kd', tMax: 3 },
    { method: 'continuation-kd', tMax: 3, psi: { kind: 'linear', rampEpochs: 4 } },
    { method: 'label-smoothing' },
    { method: 'confidence-penalty', threshold: 0.5, annealSteps: 6 },
  ] as const)('$method trains a small student from a larger frozen teacher; the teacher never moves', async (method) => {
    const teacherModel = new Mlp(16, 3, 7);
    const student = new Mlp(4, 3, 2);
    const teacher = frozenTeacher(teacherModel, (m, b: Batch) => m.forward(b.x));
    const before = params(teacherModel);
    const studentBefore = params(student);
    const result = await distill({
      student,
      teacher,
      method,
      ...access,
      epochs: 4,
      optimizer: new SGD(student.trainableParameters(), { lr: 0.05 }),
      data: { labeled: data },
      evaluate: () => ({ accuracy: Math.random() }),
      progress: 'none',
    });
    expect(result.steps).toBe(12);
    expect(params(teacherModel)).toEqual(before);
    expect(params(student)).not.toEqual(studentBefore);
    const logged = result.history.find((r) => r.type === 'train')!;
    expect(Object.keys(logged)).toEqual(expect.arrayContaining(method.method === 'none' ? ['hard'] : ['hard', 'soft']));
    teacherModel.dispose();
    student.dispose();
  });

  test('an unlabelled transfer set: rows labelled UNLABELLED are distilled from the teacher, the labelled few train the hard term', async () => {
    const teacherModel = new Mlp(16, 3, 7);
    // A confident teacher (its logits × 4), so there is something to transfer.
    const teacherLogits = (x: tf.Tensor) => tf.tidy(() => tf.mul(teacherModel.forward(x), 4));
    const teacher = frozenTeacher(teacherModel, (_m, b: Batch) => teacherLogits(b.x));
    // 4 labelled examples; the other 20 only as transfer rows (label UNLABELLED), mixed in every batch.
    const mixed: DataSource<Batch> = (_e, rng) => {
      const order = rng.permutation(N);
      return [0, 1, 2].map((b) => {
        const ids = Array.from(order.slice(8 * b, 8 * b + 8));
        return { x: tf.tensor2d(ids.map((i) => X[i]!)), y: tf.tensor1d(ids.map((i) => (i < 4 ? Y[i]! : UNLABELLED)), 'int32'), ids };
      });
    };
    const all = batchOf(Array.from({ length: N }, (_, i) => i));
    const run = async (method: 'none' | 'kd') => {
      const student = new Mlp(8, 3, 2);
      const result = await distill({
        student,
        teacher,
        method: method === 'kd' ? { method, alpha: 0.2, temperature: 1 } : { method },
        ...access,
        epochs: 20,
        optimizer: new SGD(student.trainableParameters(), { lr: 0.2 }),
        data: { labeled: mixed },
        progress: 'none',
      });
      const kl = tf.tidy(() => kdLoss({ studentLogits: student.forward(all.x), teacherLogits: teacherLogits(all.x) }, { alpha: 0, temperature: 1 }).soft.dataSync()[0]!);
      student.dispose();
      return { result, kl };
    };
    const kd = await run('kd');
    const none = await run('none');
    expect(kd.result.steps).toBe(60);
    // Batches with no labelled row give a zero hard term, never NaN.
    expect(kd.result.history.filter((r) => r.type === 'train').every((r) => Number.isFinite(r.hard as number))).toBe(true);
    expect(none.result.history.filter((r) => r.type === 'train').every((r) => Number.isFinite(r.hard as number))).toBe(true);
    // The transfer rows carry the teacher: the KD student ends much closer to it than the labels-only one.
    expect(kd.kl).toBeLessThan(0.5 * none.kl);
    tf.dispose([all.x, all.y]);
    teacherModel.dispose();
  });

  test('teacher/student class-count mismatch is a clear error before any update', async () => {
    const teacherModel = new Mlp(16, 5);
    const student = new Mlp(4, 3);
    const teacher = frozenTeacher(teacherModel, (m, b: Batch) => m.forward(b.x));
    await expect(
      distill({ student, teacher, method: { method: 'kd' }, ...access, epochs: 1, optimizer: new SGD(student.trainableParameters(), { lr: 0.1 }), data: { labeled: data }, progress: 'none' }),
    ).rejects.toThrow(/class-count mismatch: the student predicts 3 classes but the teacher 5/);
    expect(() => distillationStep({ student, method: { method: 'kd' }, ...access, epochs: 2 })).toThrow(/needs a teacher/);
    teacherModel.dispose();
    student.dispose();
  });

  test('schedules follow the epoch: Continuation-KD ψ and φ per epoch; a T_max the epochs cannot anneal is flagged', () => {
    const student = new Mlp(4);
    const teacher = { logits: () => tf.zeros([1, 3]) as tf.Tensor2D };
    const built = distillationStep({ student, method: { method: 'continuation-kd', tMax: 2 }, teacher, ...access, epochs: 4 });
    expect(built.continuation!.T).toEqual([2, 1, 1, 1]);
    expect(built.method).toMatchObject({ method: 'continuation-kd', margin: 1, psi: { kind: 'paper-nlu' } });
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    distillationStep({ student, method: { method: 'annealing-kd', tMax: 20 }, teacher, ...access, epochs: 10 });
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/T only anneals down to 15/));
    warn.mockRestore();
    student.dispose();
  });
});

describe('cached teacher logits', () => {
  test('computed once, saved as safetensors, reused (and identical to the live teacher)', async () => {
    const teacherModel = new Mlp(16, 3, 7);
    const teacher = frozenTeacher(teacherModel, (m, b: Batch) => m.forward(b.x));
    const path = join(dir, 'teacher.safetensors');
    const batches = () => [0, 1, 2].map((b) => ({ batch: batchOf(Array.from({ length: 8 }, (_, i) => 8 * b + i)), ids: Array.from({ length: 8 }, (_, i) => 8 * b + i) }));
    let computed = 0;
    const compute = async (fingerprint: string) => {
      computed++;
      const list = batches();
      const c = await computeTeacherLogits(teacher, list, N, fingerprint);
      list.forEach(({ batch }) => tf.dispose([batch.x, batch.y]));
      return c;
    };
    const first = await loadOrComputeTeacherLogits(path, 'mlp16@toy', compute);
    const second = await loadOrComputeTeacherLogits(path, 'mlp16@toy', compute);
    expect([first.fromCache, second.fromCache, computed]).toEqual([false, true, 1]);
    const ids = [5, 0, 23];
    const b = batchOf(ids);
    const live = teacher.logits(b);
    const cached = second.logits.asTeacher<Batch>((x) => x.ids).logits(b);
    expect(Array.from(cached.dataSync())).toEqual(Array.from(live.dataSync()));
    // A cache made for another teacher is not reused.
    const third = await loadOrComputeTeacherLogits(path, 'other-teacher', compute);
    expect([third.fromCache, computed]).toEqual([false, 2]);
    await expect(CachedLogits.load(path, { fingerprint: 'mlp16@toy' })).rejects.toThrow(/made for "other-teacher"/);
    await expect(loadOrComputeTeacherLogits(join(dir, 'x.safetensors'), 'a', () => compute('b'))).rejects.toThrow(/fingerprinted "b", expected "a"/);
    tf.dispose([b.x, b.y, live, cached]);
    for (const c of [first, second, third]) c.logits.dispose();
    teacherModel.dispose();
  });

  test('distillation from cached logits gives the same student as from the live teacher', async () => {
    const teacherModel = new Mlp(16, 3, 7);
    const live = frozenTeacher(teacherModel, (m, b: Batch) => m.forward(b.x));
    const all = batchOf(Array.from({ length: N }, (_, i) => i));
    const cache = await computeTeacherLogits(live, [{ batch: all, ids: all.ids }], N, 'x');
    tf.dispose([all.x, all.y]);
    const run = async (teacher: typeof live) => {
      const student = new Mlp(4, 3, 2);
      await distill({ student, teacher, method: { method: 'kd', alpha: 0.3 }, ...access, epochs: 2, optimizer: new SGD(student.trainableParameters(), { lr: 0.1 }), data: { labeled: data }, progress: 'none' });
      const p = params(student);
      student.dispose();
      return p;
    };
    const a = await run(live);
    const b = await run(cache.asTeacher<Batch>((x) => x.ids));
    a.forEach((row, i) => row.forEach((v, j) => expect(b[i]![j]).toBeCloseTo(v, 5)));
    cache.dispose();
    teacherModel.dispose();
  });

  test('gaps and duplicates in the id coverage are refused; no leaks', async () => {
    const teacherModel = new Mlp(8);
    const teacher = frozenTeacher(teacherModel, (m, b: Batch) => m.forward(b.x));
    const b = batchOf([0, 1]);
    await expect(computeTeacherLogits(teacher, [{ batch: b, ids: [0, 1] }], 3, 'x')).rejects.toThrow(/example 2 was never seen/);
    await expect(computeTeacherLogits(teacher, [{ batch: b, ids: [0, 0] }], 3, 'x')).rejects.toThrow(/appears twice/);
    await expectNoLeaks(async () => {
      const c = await computeTeacherLogits(teacher, [{ batch: b, ids: [1, 0] }], 2, 'x');
      tf.dispose(c.gather([1, 0]));
      expect(() => c.gather([2])).toThrow(/outside/);
      c.dispose();
    });
    tf.dispose([b.x, b.y]);
    teacherModel.dispose();
  });
});
