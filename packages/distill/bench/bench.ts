// Distillation benchmark: a large teacher and a small student on the embedded sentiment task and on glyph
// classification; student from scratch, KD, Annealing-KD and Continuation-KD, test accuracy ± 95% CI over
// seeds. Teachers are trained once per task and their logits cached as safetensors (reused across runs).
//
//   pnpm --filter @lel/distill bench [-- --tasks sentiment,glyph --seeds 3 --epochs 30 --backend wasm]
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { Adam, Rng, meanConfidenceInterval, useBackend, type DataSource, type Module } from '@lel/core';
import { computeTeacherLogits, distill, frozenTeacher, loadOrComputeTeacherLogits, type DistillMethodInput, type Teacher } from '../src/index';
import { glyphTask, sentimentTask, type Task } from './tasks';
import { Cnn, Mlp } from './models';

const { values: args } = parseArgs({
  options: {
    tasks: { type: 'string', default: 'sentiment,glyph' },
    seeds: { type: 'string', default: '3' },
    epochs: { type: 'string', default: '30' },
    'teacher-epochs': { type: 'string', default: '30' },
    methods: { type: 'string', default: 'none,kd,annealing-kd,continuation-kd' },
    backend: { type: 'string', default: 'wasm' },
    batch: { type: 'string', default: '64' },
    lr: { type: 'string', default: '0.01' },
    'teacher-lr': { type: 'string', default: '0.001' },
    dim: { type: 'string', default: '1024' },
  },
});

type Batch = { x: tf.Tensor; y: tf.Tensor1D; ids: number[] };

function dataSource(task: Task, batchSize: number): DataSource<Batch> {
  const per = task.train.x.length / task.train.n;
  return (_epoch, rng) => {
    const order = rng.permutation(task.train.n);
    const out: Batch[] = [];
    for (let s = 0; s < order.length; s += batchSize) {
      const ids = order.slice(s, s + batchSize);
      const x = new Float32Array(ids.length * per);
      ids.forEach((i, r) => x.set(task.train.x.subarray(i * per, (i + 1) * per), r * per));
      out.push({ x: tf.tensor(x, [ids.length, ...task.inputShape]), y: tf.tensor1d(Int32Array.from(ids, (i) => task.train.y[i]!), 'int32'), ids });
    }
    return out;
  };
}

function testAccuracy(model: Module & { forward(x: tf.Tensor): tf.Tensor }, task: Task): number {
  model.eval();
  const per = task.test.x.length / task.test.n;
  let hits = 0;
  for (let s = 0; s < task.test.n; s += 256) {
    const n = Math.min(256, task.test.n - s);
    hits += tf.tidy(() => {
      const x = tf.tensor(task.test.x.subarray(s * per, (s + n) * per), [n, ...task.inputShape]);
      const pred = tf.argMax(model.forward(x), -1);
      return tf.sum(tf.cast(tf.equal(pred, tf.tensor1d(task.test.y.subarray(s, s + n), 'int32')), 'int32')).dataSync()[0]!;
    });
  }
  model.train();
  return hits / task.test.n;
}

/** Architectures: teacher large, student small (same label set). */
function makeModel(task: Task, role: 'teacher' | 'student', seed: number | string): Module & { forward(x: tf.Tensor): tf.Tensor } {
  if (task.name === 'sentiment') return role === 'teacher' ? new Mlp(task.inputShape[0]!, [512, 512], 2, seed, 0.3) : new Mlp(task.inputShape[0]!, [4], 2, seed);
  const size = task.inputShape[0]!;
  return role === 'teacher' ? new Cnn(size, [32, 64], task.classes, seed) : new Mlp(size * size, [32], task.classes, seed);
}

/**
 * Paper settings per task (Continuation-KD §4), scaled to `epochs`: NLU (T_max 10, ψ Eq. 8) for text; for
 * images the CV ψ (linear ramp over 3/4 of training) with T_max 10 instead of 20, so that Annealing-KD's stage 1
 * (half the epochs) still anneals T down to 1.
 */
function methodConfig(method: string, task: Task, epochs: number): DistillMethodInput {
  const tMax = 10;
  switch (method) {
    case 'none':
      return { method: 'none' };
    case 'kd':
      return { method: 'kd', alpha: 0.5, temperature: 4 };
    case 'annealing-kd':
      return { method: 'annealing-kd', tMax, stage1Fraction: 0.5 };
    case 'continuation-kd':
      return task.name === 'sentiment'
        ? { method: 'continuation-kd', tMax, psi: { kind: 'paper-nlu' }, margin: 1 }
        : { method: 'continuation-kd', tMax, psi: { kind: 'linear', rampEpochs: Math.round(0.75 * epochs) }, margin: 1 };
    default:
      throw new Error(`unknown method ${method}`);
  }
}

const here = dirname(fileURLToPath(import.meta.url));
const cacheDir = join(here, '..', 'node_modules', '.cache', 'lel-distill-bench');

async function main(): Promise<void> {
  await useBackend(args.backend as never);
  const seeds = Number(args.seeds);
  const epochs = Number(args.epochs);
  const teacherEpochs = Number(args['teacher-epochs']);
  const batchSize = Number(args.batch);
  const lr = Number(args.lr);
  const teacherLr = Number(args['teacher-lr']);
  mkdirSync(cacheDir, { recursive: true });
  const rows: string[] = [];
  for (const name of args.tasks.split(',')) {
    const t0 = Date.now();
    const task = name === 'sentiment' ? sentimentTask(Number(args.dim)) : glyphTask();
    const data = dataSource(task, batchSize);
    // Teacher: trained once (seed 0) and cached; its logits on the training set are cached too.
    const teacherModel = makeModel(task, 'teacher', 'teacher');
    const fingerprint = `${task.name}/d${task.inputShape.join('x')}/teacher-e${teacherEpochs}-b${batchSize}-lr${teacherLr}/${tf.getBackend()}`;
    const { logits, fromCache } = await loadOrComputeTeacherLogits(join(cacheDir, `${task.name}-teacher-logits.safetensors`), fingerprint, async (fp) => {
      await distill({
        student: teacherModel, method: { method: 'none' }, epochs: teacherEpochs, seed: 'teacher',
        studentLogits: (m, b: Batch) => (m as Mlp).forward(b.x), labels: (b) => b.y,
        optimizer: new Adam(teacherModel.trainableParameters(), { lr: teacherLr }), data: { labeled: data }, progress: 'none',
      });
      teacherModel.eval();
      const live = frozenTeacher(teacherModel, (m, b: Batch) => m.forward(b.x));
      const all = (dataSource(task, 256)(0, new Rng(0)) as Batch[]).map((b) => ({ batch: b, ids: b.ids }));
      const cache = await computeTeacherLogits(live, all, task.train.n, fp);
      all.forEach(({ batch }) => tf.dispose([batch.x, batch.y]));
      return cache;
    });
    const teacherAcc = fromCache ? NaN : testAccuracy(teacherModel, task);
    teacherModel.dispose();
    const teacher: Teacher<Batch> = logits.asTeacher<Batch>((b) => b.ids);
    console.log(`[${task.name}] teacher ${fromCache ? '(cached logits)' : `test acc ${(100 * teacherAcc).toFixed(2)}`}, ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    if (!fromCache) rows.push(`| ${task.name} | teacher (${describe(task, 'teacher')}) | ${(100 * teacherAcc).toFixed(2)} (1 run) | |`);
    for (const method of args.methods.split(',')) {
      const accs: number[] = [];
      const t1 = Date.now();
      for (let s = 0; s < seeds; s++) {
        const student = makeModel(task, 'student', s);
        await distill({
          student, teacher, method: methodConfig(method, task, epochs), epochs, seed: s,
          studentLogits: (m, b: Batch) => (m as Mlp).forward(b.x), labels: (b) => b.y,
          optimizer: new Adam(student.trainableParameters(), { lr }), data: { labeled: data }, progress: 'none',
        });
        accs.push(testAccuracy(student, task));
        student.dispose();
      }
      const ci = meanConfidenceInterval(accs.map((a) => 100 * a));
      const line = `| ${task.name} | ${method} | ${ci.mean.toFixed(2)} ± ${ci.halfWidth.toFixed(2)} | ${accs.map((a) => (100 * a).toFixed(1)).join(', ')} |`;
      rows.push(line);
      console.log(line, `${((Date.now() - t1) / 1000).toFixed(1)} s`);
    }
    logits.dispose();
  }
  console.log(`\nbackend ${tf.getBackend()}, ${seeds} seeds, student epochs ${epochs} (Adam lr ${lr}), teacher epochs ${teacherEpochs} (Adam lr ${teacherLr}), batch ${batchSize}`);
  console.log('| task | student training | test accuracy % (mean ± 95% CI) | per seed |\n|---|---|---|---|');
  for (const r of rows) console.log(r);
}

function describe(task: Task, role: 'teacher' | 'student'): string {
  const m = makeModel(task, role, 0);
  const n = m.countParameters().all;
  m.dispose();
  return `${n.toLocaleString('en-US')} params`;
}

await main();
