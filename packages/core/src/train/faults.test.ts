// Faults during training: divergence reported with its step, the bad part and the last good checkpoint;
// resuming keeps every metrics record; a damaged last checkpoint is skipped for the previous intact one.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { useBackend } from '../backend';
import { crossEntropy } from '../losses';
import { SGD } from '../optim';
import { readManifest, verifyCheckpoint } from './checkpoint';
import { readJsonl, type MetricsRecord } from './jsonl-logger';
import { fit, type FitOptions } from './loop';
import { NonFiniteLossError } from './nan-guard';
import { mse, regressionData, snapshot, TinyNet, type XY } from './fixtures/tiny';
// Node's host (run folders, checkpoints): @lel/core installs it in Node; these tests import the modules directly.
import '../node';

let root: string;
beforeAll(async () => {
  await useBackend('cpu');
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'lel-faults-'));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
const dir = (name: string) => path.join(root, name);
const stripVolatile = (rs: MetricsRecord[]) => rs.map(({ time: _t, steps_per_sec: _s, ...rest }) => rest);

/**
 * A 4-way classifier on the regression inputs (class: the sign of y) whose logits also regress y: cross-entropy
 * alone has bounded gradients, the regression part makes a large learning rate blow up exponentially.
 */
function classifier(model: TinyNet, lr: number, opts: Partial<FitOptions<XY>> = {}): FitOptions<XY> {
  return {
    model,
    optimizer: new SGD(model.trainableParameters(), { lr }),
    data: { labeled: regressionData(24, 4) },
    step: (b) => {
      const labels = tf.tidy(() => tf.cast(tf.greater(tf.squeeze(b.y, [1]), 0), 'int32'));
      const logits = model.forward(b.x);
      const ce = crossEntropy(logits, labels) as tf.Scalar;
      const reg = mse(tf.sum(logits, 1, true), b.y);
      labels.dispose();
      return { total: tf.add(ce, reg) as tf.Scalar, ce, reg };
    },
    seed: 3,
    progress: 'none',
    logEvery: 1,
    ...opts,
  };
}

describe('divergence', () => {
  test.each([
    [20, { steps: 1 }],
    [20, { steps: 4 }],
    [1e6, { steps: 1 }],
    [1e6, { steps: 3 }],
    [1e6, { epochs: 1 }],
  ] as const)('lr %s, checkpoints every %o: stops with the step, what went bad and the last good checkpoint', async (lr, every) => {
    const run = dir(`diverge-${lr}-${JSON.stringify(every).replace(/\W/g, '')}`);
    const model = new TinyNet(3, 4);
    let error: unknown;
    try {
      await fit(classifier(model, lr, { runDir: run, maxSteps: 60, checkpoint: { every, keepLast: 100 } }));
    } catch (e) {
      error = e;
    }
    // Was: crossEntropy's "logits contains NaN (shape [4,4])", without step or checkpoint.
    expect(error).toBeInstanceOf(NonFiniteLossError);
    const e = error as NonFiniteLossError;
    expect(e.step).toBeGreaterThanOrEqual(1);
    expect(e.parts.length).toBeGreaterThan(0);
    expect(e.message).toMatch(new RegExp(`step ${e.step}\\b`));
    const saved = fs.existsSync(path.join(run, 'checkpoints'))
      ? fs.readdirSync(path.join(run, 'checkpoints')).filter((n) => n.startsWith('step-')).sort()
      : [];
    if (saved.length === 0) {
      expect(e.lastCheckpoint).toBeUndefined();
      expect(e.message).toMatch(/no checkpoint was written/);
    } else {
      // The newest checkpoint on disk is the one named, it is intact and its step precedes the failure.
      const last = path.join(run, 'checkpoints', saved[saved.length - 1]!);
      expect(e.lastCheckpoint).toBe(last);
      expect(e.message).toContain(`last good checkpoint: ${last}`);
      expect(verifyCheckpoint(last)).toEqual([]);
      expect(readManifest(last).step).toBeLessThan(e.step);
    }
    model.dispose();
  });

  test('a NaN in a loss input is reported as a non-finite loss input with the loss and argument', async () => {
    const model = new TinyNet(3, 4);
    const opts = classifier(model, 0.01, { maxSteps: 5 });
    opts.step = (b, ctx) => {
      const labels = tf.tidy(() => tf.cast(tf.greater(tf.squeeze(b.y, [1]), 0), 'int32'));
      const logits = ctx.step === 2 ? tf.mul(model.forward(b.x), NaN) : model.forward(b.x);
      const loss = crossEntropy(logits, labels) as tf.Scalar;
      labels.dispose();
      return { total: loss };
    };
    // Was: "crossEntropy: logits contains NaN (shape [4,4])", without the step or the checkpoint.
    await expect(fit(opts)).rejects.toThrow(/Non-finite loss input at step 3 \(epoch 1\) in crossEntropy\(logits\).*logits contains NaN \(shape \[4,4\]\)/);
    model.dispose();
  });

  test('non-finite weights found before a checkpoint name the last good checkpoint', async () => {
    const run = dir('nan-weights');
    const model = new TinyNet(3, 4);
    const opts = classifier(model, 0.01, { runDir: run, maxSteps: 5, checkpoint: { every: { steps: 1 } } });
    delete opts.step;
    opts.trainStep = (_b, ctx) => {
      if (ctx.step === 2) model.w.variable.assign(tf.fill(model.w.variable.shape, NaN));
      return { loss: 1 };
    };
    const e = (await fit(opts).catch((err: unknown) => err)) as NonFiniteLossError;
    expect(e).toBeInstanceOf(NonFiniteLossError);
    expect(e.kind).toBe('weights');
    expect(e.step).toBe(3);
    expect(e.parts).toEqual(['weight:model.w']);
    // Was: "no checkpoint was written" though step-000002 was.
    expect(e.lastCheckpoint).toBe(path.join(run, 'checkpoints', 'step-000002'));
    expect(e.message).toContain(`last good checkpoint: ${path.join(run, 'checkpoints', 'step-000002')}`);
    model.dispose();
  });

  test('a NaN met by the evaluation is reported with the step and the last checkpoint', async () => {
    const run = dir('nan-eval');
    const model = new TinyNet(3, 4);
    const x = tf.tensor2d([[NaN, 0, 0]]);
    const opts = classifier(model, 0.01, {
      runDir: run,
      maxSteps: 6,
      checkpoint: { every: { steps: 2 } },
      evalEvery: { steps: 3 },
      evaluate: () => {
        const loss = crossEntropy(model.forward(x), tf.tensor1d([0], 'int32'));
        const v = loss.dataSync()[0]!;
        loss.dispose();
        return { loss: v };
      },
    });
    const e = (await fit(opts).catch((err: unknown) => err)) as NonFiniteLossError;
    expect(e).toBeInstanceOf(NonFiniteLossError);
    expect(e.message).toMatch(/Non-finite loss input in the evaluation after step 3 \(epoch 1\) in crossEntropy\(logits\)/);
    expect(e.lastCheckpoint).toBe(path.join(run, 'checkpoints', 'step-000002'));
    x.dispose();
    model.dispose();
  });
});

describe('resume keeps the metrics', () => {
  test('resuming a finished run keeps its final (partial-window) train record', async () => {
    const run = dir('final-record');
    const a = new TinyNet();
    const opts = (m: TinyNet, extra: Partial<FitOptions<XY>> = {}): FitOptions<XY> => ({
      model: m,
      optimizer: new SGD(m.trainableParameters(), { lr: 0.01 }),
      data: { labeled: regressionData(24, 4) },
      step: (b) => ({ total: mse(m.forward(b.x), b.y) }),
      runDir: run,
      maxSteps: 4,
      logEvery: 3,
      progress: 'none',
      ...extra,
    });
    await fit(opts(a));
    const first = stripVolatile(readJsonl(path.join(run, 'metrics.jsonl')));
    expect(first.map((r) => `${r.type} ${r.step}`)).toEqual(['train 3', 'train 4']);
    const b = new TinyNet();
    await fit(opts(b, { resume: 'last' }));
    // Was: [train 3] — the record of step 4 dropped.
    expect(stripVolatile(readJsonl(path.join(run, 'metrics.jsonl')))).toEqual(first);
    expect(snapshot(b)).toEqual(snapshot(a));
    a.dispose();
    b.dispose();
  });
});

describe('damaged checkpoints on resume', () => {
  test('resume "last" skips a damaged last checkpoint for the previous intact one, says so, and ends as an uninterrupted run', async () => {
    const opts = (m: TinyNet, run: string, extra: Partial<FitOptions<XY>> = {}): FitOptions<XY> => ({
      model: m,
      optimizer: new SGD(m.trainableParameters(), { lr: 0.01, momentum: 0.9 }),
      data: { labeled: regressionData(24, 4) },
      step: (b) => ({ total: mse(m.forward(b.x), b.y) }),
      runDir: run,
      logEvery: 2,
      checkpoint: { every: { steps: 2 } },
      progress: 'none',
      ...extra,
    });
    const full = new TinyNet();
    await fit(opts(full, dir('fallback-full'), { maxSteps: 10 }));
    const run = dir('fallback-cut');
    const cut = new TinyNet();
    await fit(opts(cut, run, { maxSteps: 6 }));
    const model = path.join(run, 'checkpoints', 'step-000006', 'model.safetensors');
    const bytes = fs.readFileSync(model);
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0x01;
    fs.writeFileSync(model, bytes);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const resumed = new TinyNet(3, 1, 99);
      const r = await fit(opts(resumed, run, { maxSteps: 10, resume: 'last' }));
      expect(r.resumedFrom).toBe(path.join(run, 'checkpoints', 'step-000004'));
      expect(r.warnings[0]).toMatch(/step-000006 is corrupted: .*model\.safetensors has SHA-256 .*Resuming from the previous intact checkpoint, .*step-000004/);
      expect(warn).toHaveBeenCalledWith(`[lel] warning: ${r.warnings[0]}`);
      expect(snapshot(resumed)).toEqual(snapshot(full));
      expect(stripVolatile(readJsonl(path.join(run, 'metrics.jsonl')))).toEqual(stripVolatile(readJsonl(path.join(dir('fallback-full'), 'metrics.jsonl'))));
      resumed.dispose();
    } finally {
      warn.mockRestore();
    }
    full.dispose();
    cut.dispose();
  });
});
