import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { useBackend } from '../backend';
import { SGD, Adam } from '../optim';
import { readPointer } from './checkpoint';
import { ConfigValidationError } from './config';
import { readJsonl, type MetricsRecord } from './jsonl-logger';
import { fit, type FitOptions } from './loop';
import { NonFiniteLossError } from './nan-guard';
import type { Callback } from './types';
import { DropoutNet, mse, NoisyNet, Pair, regressionData, semiSupervised, snapshot, TinyNet, unlabeledData, type XY } from './fixtures/tiny';
// Node's host (run folders, checkpoints): @lel/core installs it in Node; these tests import the modules directly.
import '../node';

let root: string;
beforeAll(async () => {
  await useBackend('wasm');
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'lel-train-'));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
const dir = (name: string) => path.join(root, name);

/** A callback with JSON state and tensors (an EMA of the weights, SWA-like). */
class EmaCallback implements Callback<tf.Tensor2D> {
  readonly name = 'ema';
  count = 0;
  avg: tf.Variable | undefined;
  onStepEnd(ctx: { model: TinyNet | import('../module/module').Module }): void {
    this.count++;
    const w = (ctx.model as TinyNet).w.variable;
    if (!this.avg) this.avg = tf.variable(w.clone(), false);
    else tf.tidy(() => this.avg!.assign(tf.add(tf.mul(this.avg!, 0.9), tf.mul(w, 0.1))));
  }
  state() {
    return { count: this.count };
  }
  loadState(s: unknown) {
    this.count = (s as { count: number }).count;
  }
  tensors() {
    return new Map(this.avg ? [['avg', this.avg as tf.Tensor]] : []);
  }
  loadTensors(m: Map<string, tf.Tensor>) {
    const t = m.get('avg');
    if (t) this.avg = tf.variable(t.clone(), false);
  }
  dispose() {
    this.avg?.dispose();
  }
}


const stripVolatile = (rs: MetricsRecord[]) => rs.map(({ time: _t, steps_per_sec: _s, ...rest }) => rest);

describe('fit', () => {
  test('trains, logs JSONL and saves the resolved config', async () => {
    const model = new TinyNet();
    const runDir = dir('basic');
    const out: string[] = [];
    const res = await fit({
      model,
      optimizer: new SGD(model.trainableParameters(), { lr: 0.05, momentum: 0.9 }),
      data: { labeled: regressionData() },
      step: (b) => ({ total: mse(model.forward(b.x), b.y) }),
      epochs: 4,
      evaluate: () => ({ score: 1 }),
      runDir,
      config: { lr: 0.05, model: { inputs: 3 } },
      progress: 'auto',
      progressStream: { isTTY: false, write: (c: string) => void out.push(c) },
      logEvery: 3,
    });
    // Non-TTY progress: plain lines every logEvery steps (the total is known once the first epoch ended).
    const lines = out.join('').split('\n');
    expect(lines[0]).toMatch(/^\[lel\] fit: 4 trainable parameters, backend wasm, seed 0, runDir /);
    const steps = lines.filter((l) => /^\[lel\] step/.test(l));
    expect(steps[0]).toMatch(/^\[lel\] step 3 \| epoch 1\/4 \| loss \d+\.\d{4} \| lr 5\.00e-2 \| [\d.]+ it\/s \| ETA \?$/);
    expect(steps[2]).toMatch(/^\[lel\] step 9\/24 \| epoch 2\/4 \| loss \d+\.\d{4} \| lr 5\.00e-2 \| [\d.]+ it\/s \| ETA \d+:\d\d \(37%\)$/);
    expect(steps).toHaveLength(8);
    expect(lines.filter((l) => l.startsWith('[lel] eval @ step'))).toHaveLength(4);
    expect(out.join('')).not.toMatch(/\x1b/);
    expect(res.steps).toBe(24);
    expect(res.epochs).toBe(4);
    expect(res.stopReason).toBe('epochs');
    const recs = readJsonl(path.join(runDir, 'metrics.jsonl'));
    expect(recs).toEqual(JSON.parse(JSON.stringify(res.history)));
    const train = recs.filter((r) => r.type === 'train');
    expect(train.map((r) => r.step)).toEqual([3, 6, 9, 12, 15, 18, 21, 24]);
    expect(recs.filter((r) => r.type === 'eval').map((r) => r.step)).toEqual([6, 12, 18, 24]);
    expect(train.at(-1)!.loss as number).toBeLessThan((train[0]!.loss as number) / 4);
    expect(JSON.parse(fs.readFileSync(path.join(runDir, 'config.json'), 'utf8'))).toEqual({ lr: 0.05, model: { inputs: 3 } });
    expect(readPointer(runDir, 'last')).toEqual({ name: 'step-000024', step: 24 });
    model.dispose();
  });

  // 6 labelled batches per epoch, 5 unlabelled per cycle: 7 is mid-epoch and mid-cycle; 10 ends the second
  // unlabelled cycle; 12 ends the first run by `epochs: 2`, 18 by `maxSteps` at an epoch end (both checkpoint
  // after the end-of-epoch evaluation).
  test.each([7, 10, 12, 18])('resume is bit-exact: %i steps + resume == 20 steps uninterrupted (two streams, Adam, schedule, rng, callbacks, early stopping)', async (cut) => {
    const total = 20;
    const extra = (m: TinyNet) => ({
      checkpoint: { every: 100 },
      evaluate: () => ({ score: -Math.abs(m.w.variable.dataSync()[0]! - 2) }),
      earlyStopping: { metric: 'score', mode: 'max' as const, patience: 50, restoreBest: true },
    });
    // Uninterrupted.
    const mA = new TinyNet();
    const emaA = new EmaCallback();
    const a = semiSupervised(mA, { maxSteps: total, runDir: dir(`resume-a${cut}`), callbacks: [emaA], ...extra(mA) });
    await fit(a);
    // Interrupted, then resumed in a fresh "process" (new model, optimiser, callbacks).
    const runDir = dir(`resume-b${cut}`);
    const mB1 = new TinyNet();
    const emaB1 = new EmaCallback();
    const stopAt = cut === 12 ? { epochs: 2 } : { maxSteps: cut };
    const first = await fit(semiSupervised(mB1, { ...stopAt, runDir, callbacks: [emaB1], ...extra(mB1) }));
    expect(first.lastCheckpoint).toMatch(new RegExp(`step-0000${String(cut).padStart(2, '0')}$`));
    const evals = first.history.filter((r) => r.type === 'eval').map((r) => r.step);
    expect(evals).toEqual([6, 12, 18].filter((s) => s <= cut)); // end-of-epoch evaluations, also at maxSteps
    const mB2 = new TinyNet(3, 1, 99); // different init: everything must come from the checkpoint
    const emaB2 = new EmaCallback();
    const b2 = semiSupervised(mB2, { maxSteps: total, runDir, callbacks: [emaB2], resume: 'last', ...extra(mB2) });
    const second = await fit(b2);
    expect(second.resumedFrom).toBe(first.lastCheckpoint);
    expect(second.steps).toBe(total);

    expect(snapshot(mB2)).toEqual(snapshot(mA));
    const values = (m: Map<string, tf.Tensor>) => Object.fromEntries([...m].map(([k, t]) => [k, Array.from(t.dataSync())]));
    const optA = values((a.optimizer as Adam).stateDict());
    expect(Object.keys(optA).length).toBeGreaterThan(2);
    expect(values((b2.optimizer as Adam).stateDict())).toEqual(optA);
    expect(emaB2.count).toBe(emaA.count);
    expect(Array.from(emaB2.avg!.dataSync())).toEqual(Array.from(emaA.avg!.dataSync()));
    // The logs agree too (the resumed run's records continue the file).
    const logA = stripVolatile(readJsonl(path.join(dir(`resume-a${cut}`), 'metrics.jsonl')));
    const logB = stripVolatile(readJsonl(path.join(runDir, 'metrics.jsonl')));
    expect(logB).toEqual(logA);
    for (const m of [mA, mB1, mB2]) m.dispose();
    for (const c of [emaA, emaB1, emaB2]) c.dispose();
  });

  test('memory is flat over 200 steps (with logging and checkpoints)', async () => {
    const before = tf.memory().numTensors;
    const model = new TinyNet(2, 1);
    const counts: number[] = [];
    const optimizer = new SGD(model.trainableParameters(), { lr: 0.01, momentum: 0.9 });
    await fit({
      model,
      optimizer,
      data: { labeled: regressionData(16, 4, 2), unlabeled: unlabeledData(3, 4, 2) },
      step: (b, ctx) => ({ total: tf.add(mse(model.forward(b.x), b.y), tf.mul(tf.mean(model.forward(ctx.unlabeled!)), 0)) as tf.Scalar }),
      maxSteps: 200,
      gradClipNorm: 1,
      runDir: dir('leak'),
      checkpoint: { every: 50, keepLast: 2 },
      logEvery: 20,
      evaluate: () => ({ m: 0 }),
      evalEvery: 40,
      progress: 'none',
      callbacks: [{ onStepEnd: () => void counts.push(tf.memory().numTensors) }],
    });
    expect(counts).toHaveLength(200);
    // Optimiser slots appear at step 1 and the checkpointed step counter at step 50; flat otherwise.
    const steady = counts.slice(50);
    expect(new Set(steady).size, `tensor counts: ${[...new Set(counts)].join(', ')}`).toBe(1);
    expect(counts[1]).toBe(counts[49]);
    optimizer.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  test('a non-finite loss stops the run naming the step and parts, keeping the last good checkpoint', async () => {
    const model = new TinyNet();
    const runDir = dir('nan');
    let weightsBefore: Record<string, number[]> = {};
    const params = () => Object.fromEntries(model.namedParameters().map(([n, p]) => [n, Array.from(p.variable.dataSync())]));
    const run = fit({
      model,
      optimizer: new SGD(model.trainableParameters(), { lr: 0.05 }),
      data: { labeled: regressionData() },
      step: (b, ctx) => {
        const sup = mse(model.forward(b.x), b.y);
        const kl = ctx.step === 8 ? tf.scalar(NaN) : tf.scalar(0.5);
        return { total: tf.add(sup, kl) as tf.Scalar, sup, kl };
      },
      callbacks: [{ onStepEnd: (ctx) => void (ctx.step === 8 && (weightsBefore = params())) }],
      maxSteps: 50,
      runDir,
      checkpoint: { every: 4 },
      progress: 'none',
    });
    await expect(run).rejects.toThrow(NonFiniteLossError);
    await expect(run).rejects.toThrow(/Non-finite loss at step 9 .*in total, kl/);
    const err = (await run.catch((e: unknown) => e)) as NonFiniteLossError;
    expect(err.step).toBe(9);
    expect(err.parts).toEqual(['total', 'kl']);
    expect(err.lastCheckpoint).toMatch(/step-000008$/);
    expect(readPointer(runDir, 'last')).toEqual({ name: 'step-000008', step: 8 });
    expect(params()).toEqual(weightsBefore); // the bad update was not applied (buffers updated by its forward pass are)
    // The last good checkpoint resumes.
    const m2 = new TinyNet();
    const res = await fit({
      model: m2,
      optimizer: new SGD(m2.trainableParameters(), { lr: 0.05 }),
      data: { labeled: regressionData() },
      step: (b) => ({ total: mse(m2.forward(b.x), b.y) }),
      maxSteps: 10,
      runDir,
      resume: 'last',
      progress: 'none',
    });
    expect(res.steps).toBe(10);
    const last = readJsonl(path.join(runDir, 'metrics.jsonl')).filter((r) => r.error);
    expect(last).toEqual([]); // records past the checkpoint (the error record) were dropped on resume
    model.dispose();
    m2.dispose();
  });

  test('non-finite gradients: named with nanGuard.grads; otherwise the NaN weights are never checkpointed', async () => {
    const model = new TinyNet();
    const runDir = dir('nan-grads');
    const opts = (extra: object) => ({
      model,
      optimizer: new SGD(model.trainableParameters(), { lr: 0.05 }),
      data: { labeled: regressionData() },
      // loss 0 with gradient 0.5/sqrt(0)·0 = NaN for w
      step: () => ({ total: tf.sum(tf.sqrt(tf.sub(model.w.variable, model.w.variable))) as tf.Scalar }),
      maxSteps: 3,
      progress: 'none' as const,
      ...extra,
    });
    await expect(fit(opts({ nanGuard: { grads: true } }))).rejects.toThrow(/Non-finite gradients at step 1 \(epoch 1\) in grad:w .*not applied/);
    expect(Number.isFinite(model.w.variable.dataSync()[0])).toBe(true);
    await expect(fit(opts({ runDir, checkpoint: { every: 1 } }))).rejects.toThrow(/Non-finite weights after step 1 \(epoch 1\) in weight:model\.w.*were not checkpointed/);
    expect(readPointer(runDir, 'last')).toBeUndefined();
    model.dispose();
  });

  test('a non-finite value from a custom trainStep is named', async () => {
    const model = new TinyNet();
    const run = fit({
      model,
      data: { labeled: regressionData() },
      trainStep: (_b, ctx) => ({ loss: ctx.step === 2 ? Infinity : 1, acc: 0.5 }),
      maxSteps: 5,
      progress: 'none',
    });
    await expect(run).rejects.toThrow(/Non-finite loss at step 3 \(epoch 1\) in loss .*already updated the weights/);
    model.dispose();
  });

  test('a config failing its schema is rejected before any work, naming the keys', async () => {
    const model = new TinyNet();
    let called = 0;
    const runDir = dir('schema');
    const schema = z.object({ optim: z.object({ lr: z.number().positive() }), epochs: z.number().int() }).strict();
    const run = fit({
      model,
      optimizer: new SGD(model.trainableParameters(), { lr: 0.05 }),
      data: {
        labeled: () => {
          called++;
          return [];
        },
      },
      step: () => {
        called++;
        return { total: tf.scalar(0) };
      },
      epochs: 1,
      runDir,
      config: { optim: { lr: -1 }, epochs: 'ten', extra: true },
      configSchema: schema,
    });
    await expect(run).rejects.toThrow(ConfigValidationError);
    await expect(run).rejects.toThrow(/optim\.lr: .*[\s\S]*epochs: .*[\s\S]*extra: unknown key/);
    expect(called).toBe(0);
    expect(fs.existsSync(runDir)).toBe(false);
    model.dispose();
  });

  test('resume with a different config is refused unless allowConfigChange; a fresh run over checkpoints is refused', async () => {
    const runDir = dir('cfg');
    const mk = (extra: Partial<FitOptions<XY>>) => {
      const model = new TinyNet();
      return {
        model,
        opts: {
          model,
          optimizer: new SGD(model.trainableParameters(), { lr: 0.05 }),
          data: { labeled: regressionData() },
          step: (b: XY) => ({ total: mse(model.forward(b.x), b.y) }),
          runDir,
          progress: 'none' as const,
          ...extra,
        },
      };
    };
    const r1 = mk({ maxSteps: 3, config: { lr: 0.05 } });
    await fit(r1.opts);
    const r2 = mk({ maxSteps: 5, config: { lr: 0.1 }, resume: 'last' });
    await expect(fit(r2.opts)).rejects.toThrow(/different config .*allowConfigChange/);
    const r3 = mk({ maxSteps: 5, config: { lr: 0.1 }, resume: 'last', allowConfigChange: true });
    expect((await fit(r3.opts)).steps).toBe(5);
    const r4 = mk({ maxSteps: 2, config: { lr: 0.1 } });
    await expect(fit(r4.opts)).rejects.toThrow(/already has checkpoints \(last: step-000005\).*resume: "last"/);
    for (const r of [r1, r2, r3, r4]) r.model.dispose();
  });

  test('early stopping stops after `patience` evaluations and restores the best weights; best checkpoint kept', async () => {
    const model = new TinyNet();
    const scores = [0.5, 0.8, 0.7, 0.75, 0.6, 0.9];
    const atEval: Record<string, number[]>[] = [];
    const runDir = dir('early');
    const res = await fit({
      model,
      optimizer: new SGD(model.trainableParameters(), { lr: 0.05 }),
      data: { labeled: regressionData() },
      step: (b) => ({ total: mse(model.forward(b.x), b.y) }),
      epochs: 20,
      evaluate: () => {
        atEval.push(snapshot(model));
        return { acc: scores[atEval.length - 1]! };
      },
      earlyStopping: { metric: 'acc', mode: 'max', patience: 2, restoreBest: true },
      runDir,
      checkpoint: { keepLast: 1, best: { metric: 'acc', mode: 'max' } },
      progress: 'none',
    });
    expect(res.stopReason).toMatch(/early stopping: acc has not improved for 2/);
    expect(res.epochs).toBe(4);
    expect(res.best).toMatchObject({ metric: 'acc', value: 0.8, step: 12 });
    expect(snapshot(model)).toEqual(atEval[1]);
    expect(readPointer(runDir, 'best')).toMatchObject({ name: 'step-000012', value: 0.8 });
    expect(fs.readdirSync(path.join(runDir, 'checkpoints')).sort()).toEqual(['best', 'last', 'step-000012', 'step-000024']);
    model.dispose();
  });

  test('several modules and optimisers: every module is saved and restored', async () => {
    const pair = new Pair();
    const runDir = dir('multi');
    const mkOpts = (p: Pair, extra: object) => ({
      modules: { a: p.a, b: p.b },
      optimizer: [new SGD(p.a.namedParameters('a'), { lr: 0.05 }), new SGD(p.b.namedParameters('b'), { lr: 0.02, momentum: 0.5 })],
      data: { labeled: regressionData() },
      step: (batch: XY) => ({ total: tf.add(mse(p.a.forward(batch.x), batch.y), mse(p.b.forward(batch.x), batch.y)) as tf.Scalar }),
      runDir,
      progress: 'none' as const,
      ...extra,
    });
    await fit(mkOpts(pair, { maxSteps: 4 }));
    const pair2 = new Pair();
    await fit(mkOpts(pair2, { maxSteps: 4, resume: 'last' }));
    expect(snapshot(pair2)).toEqual(snapshot(pair));
    pair.dispose();
    pair2.dispose();
  });

  /** fit options of the generator-resume tests: SGD on the regression data, every step logged, no periodic checkpoints. */
  const regressionOpts = (m: NoisyNet | DropoutNet, runDir: string, extra: object) => ({
    model: m,
    optimizer: new SGD(m.trainableParameters(), { lr: 0.05, momentum: 0.9 }),
    data: { labeled: regressionData() },
    step: (b: XY) => ({ total: mse(m.forward(b.x), b.y) }),
    runDir,
    logEvery: 1,
    checkpoint: { every: 100 },
    progress: 'none' as const,
    ...extra,
  });
  /** Train losses logged after step `after`. */
  const losses = (r: { history: MetricsRecord[] }, after: number) => r.history.filter((h) => h.type === 'train' && h.step > after).map((h) => h.loss);

  test('a model drawing noise from its own generator and counting calls resumes bit-exactly; an old checkpoint warns', async () => {
    const a = new NoisyNet();
    const full = await fit(regressionOpts(a, dir('noisy-a'), { maxSteps: 9 }));
    const cut = dir('noisy-b');
    const b1 = new NoisyNet();
    await fit(regressionOpts(b1, cut, { maxSteps: 4 }));
    const b2 = new NoisyNet(99, 'another generator');
    const resumed = await fit(regressionOpts(b2, cut, { maxSteps: 9, resume: 'last' }));
    expect(resumed.warnings).toEqual([]);
    expect(losses(resumed, 4)).toEqual(losses(full, 4));
    expect(snapshot(b2)).toEqual(snapshot(a));
    expect(b2.calls).toBe(a.calls);
    expect(b2.noise.state()).toEqual(a.noise.state());

    // The same checkpoint without its module state and SHA-256 sums (as written by an older @lel/core): resumed with warnings.
    const stateFile = path.join(cut, 'checkpoints', 'step-000004', 'state.json');
    fs.writeFileSync(path.join(cut, 'checkpoints', 'last'), JSON.stringify({ name: 'step-000004', step: 4 }));
    const { moduleState: _dropped, sha256: _sums, ...old } = JSON.parse(fs.readFileSync(stateFile, 'utf8'));
    fs.writeFileSync(stateFile, JSON.stringify(old));
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const b3 = new NoisyNet(99, 'another generator');
      const oldResume = await fit(regressionOpts(b3, cut, { maxSteps: 9, resume: 'last' }));
      expect(oldResume.warnings).toHaveLength(2);
      expect(oldResume.warnings[0]).toMatch(/step-000004 has no SHA-256 sums/);
      expect(oldResume.warnings[1]).toMatch(/step-000004 has no module generator \/ counter state/);
      expect(warn).toHaveBeenCalledWith(`[lel] warning: ${oldResume.warnings[1]}`);
      expect(b3.calls).toBe(5); // counted from 0: the counter kept its current state
      expect(losses(oldResume, 4)).not.toEqual(losses(full, 4));
      b3.dispose();
    } finally {
      warn.mockRestore();
    }
    for (const m of [a, b1, b2]) m.dispose();
  });

  test("core's Dropout and MultiHeadAttention with their own generators resume bit-exactly (generators in the checkpoint)", async () => {
    const a = new DropoutNet();
    expect(a.namedGenerators().map(([n]) => n)).toEqual(['drop.rng', 'attention.rng']);
    const full = await fit(regressionOpts(a, dir('dropout-a'), { maxSteps: 9 }));
    const cut = dir('dropout-b');
    const b1 = new DropoutNet();
    await fit(regressionOpts(b1, cut, { maxSteps: 4 }));
    const state = JSON.parse(fs.readFileSync(path.join(cut, 'checkpoints', 'step-000004', 'state.json'), 'utf8'));
    expect(Object.keys(state.moduleState.generators)).toEqual(['drop.rng', 'attention.rng']);
    // Other generators (and initial weights): the checkpoint restores both.
    const b2 = new DropoutNet(99, 'another', 'generator');
    const resumed = await fit(regressionOpts(b2, cut, { maxSteps: 9, resume: 'last' }));
    expect(resumed.warnings).toEqual([]);
    expect(losses(resumed, 4)).toEqual(losses(full, 4));
    expect(snapshot(b2)).toEqual(snapshot(a));
    expect(b2.drop.rng!.state()).toEqual(a.drop.rng!.state());
    for (const m of [a, b1, b2]) m.dispose();
  });

  test('resuming into a different model is refused with the list of differences, before anything is written', async () => {
    const runDir = dir('mismatch');
    const small = new TinyNet(3, 1);
    const opts = (m: TinyNet, extra: object) => ({
      model: m,
      optimizer: new SGD(m.trainableParameters(), { lr: 0.05 }),
      data: { labeled: regressionData(24, 4, 3) },
      step: (b: XY) => ({ total: mse(m.forward(b.x), b.y) }),
      runDir,
      progress: 'none' as const,
      ...extra,
    });
    await fit(opts(small, { maxSteps: 2 }));
    const metricsBefore = fs.readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8');
    const big = new TinyNet(4, 2);
    await expect(fit(opts(big, { maxSteps: 4, resume: 'last' }))).rejects.toThrow(
      /does not match the model \(3 differences\):\n {2}mis-shaped: b expected \[2\] got \[1\]\n {2}mis-shaped: running_mean expected \[4\] got \[3\]\n {2}mis-shaped: w expected \[4,2\] got \[3,1\]/,
    );
    expect(fs.readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8')).toBe(metricsBefore);
    small.dispose();
    big.dispose();
  });

  test('option errors name the problem', async () => {
    const model = new TinyNet();
    const base = { model, data: { labeled: regressionData() }, progress: 'none' as const };
    await expect(fit({ ...base, step: () => ({ total: tf.scalar(0) }), maxSteps: 1 })).rejects.toThrow(/needs an optimizer/);
    await expect(fit({ ...base, trainStep: () => ({}) })).rejects.toThrow(/maxSteps and\/or epochs/);
    await expect(fit({ ...base, trainStep: () => ({}), maxSteps: 1, resume: 'last' })).rejects.toThrow(/resume "last" needs a runDir/);
    await expect(fit({ ...base, trainStep: () => ({}), maxSteps: 1, data: { labeled: () => [] } })).rejects.toThrow(/yielded no batch in epoch 0/);
    model.dispose();
  });
});
