import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, test } from 'vitest';
import type { Module } from '../module/module';
import type { AnyMethod } from '../method/define-method';
import { runMethod, type MethodRunOptions } from '../method/run-method';
import { useBackend } from '../backend';
import { setGlobalSeed } from '../random/rng';
import { Adam } from '../optim/adam';
import { computeGradients } from '../optim/gradients';
import { parseSafetensors, serializeSafetensors, toTensorMap } from '../io/safetensors';
import type { Callback, LossParts } from '../train/types';
import { testBackends } from './backends';

/** One method instance built for the matrix. */
export interface MethodSetup {
  /** The module tree whose trainable parameters are updated (frozen ones must stay bit-identical). */
  model: Module;
  /** One training loss on a fixed batch; may return named parts (`{ total, … }`). */
  loss: () => tf.Scalar | LossParts;
  /** Frees what the setup created besides `model` (batches, teachers). The matrix disposes `model`. */
  dispose?: () => void;
  /** Learning rate of the matrix's Adam step. Default 1e-2. */
  lr?: number;
}

/** A row of the shared method test matrix (as peft's `TEST_CASES`). */
export interface MethodCase {
  name: string;
  /**
   * Build a fresh instance. The matrix calls `setGlobalSeed(seed)` first; the setup must draw every random
   * number (init, data, method noise) from seeded generators so equal seeds give equal numbers.
   */
  setup: (seed: number) => MethodSetup | Promise<MethodSetup>;
}

/**
 * A row that trains a whole method through `runMethod` (a method package's `defineMethod`, an app recipe):
 * a few steps on tiny data, checked for finite named losses, leaks, determinism, frozen parameters and a
 * bit-exact resume from a checkpoint.
 */
export interface MethodRunCase<D = any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  name: string;
  method: AnyMethod;
  /** The method config (input form: defaults are filled in by the method's schema). */
  config: unknown;
  /**
   * Fresh data for one run (called once per run, after `setGlobalSeed`): tensors, and any model or teacher the
   * method takes. Must be deterministic: equal calls give equal data.
   */
  data: () => D | Promise<D>;
  /** Free what `data` created, except a model the method hands back as its trained model (the matrix disposes that). */
  dispose?: (data: D) => void;
  /** Free what the run handed back in `info` that the caller owns (e.g. a PEFT wrapper's copies of base weights). */
  disposeInfo?: (info: any) => void; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Steps per run. Default 3. */
  steps?: number;
  /** The interrupted run stops (checkpointed) after this many steps, then resumes. Default 1. */
  resumeAt?: number;
  /** Further run options (e.g. `evaluate: false` to skip a slow evaluation). */
  run?: MethodRunOptions;
}

type Snapshot = Map<string, Float32Array | Int32Array | Uint8Array>;

async function snapshotAsync(model: Module): Promise<Snapshot> {
  const out: Snapshot = new Map();
  for (const [n, t] of model.stateDict()) out.set(n, ((await t.data()) as Float32Array).slice());
  return out;
}

async function modulesSnapshot(modules: Record<string, Module>): Promise<Snapshot> {
  const out: Snapshot = new Map();
  for (const [k, m] of Object.entries(modules)) for (const [n, v] of await snapshotAsync(m)) out.set(`${k}.${n}`, v);
  return out;
}

/** Records the frozen parameters at the start of training and checks them at its end. */
function frozenWatch(): { callback: Callback<never>; problems: string[]; frozen: () => number } {
  const before = new Map<string, Float32Array>();
  const problems: string[] = [];
  return {
    problems,
    frozen: () => before.size,
    callback: {
      async onTrainStart(ctx) {
        for (const [k, m] of Object.entries(ctx.modules)) {
          for (const [n, p] of m.namedParameters()) if (!p.trainable) before.set(`${k}.${n}`, ((await p.variable.data()) as Float32Array).slice());
        }
      },
      async onTrainEnd(ctx) {
        for (const [k, m] of Object.entries(ctx.modules)) {
          for (const [n, p] of m.namedParameters()) {
            const b = before.get(`${k}.${n}`);
            if (b && !sameBits(b, (await p.variable.data()) as Float32Array)) problems.push(`frozen ${k}.${n} changed`);
          }
        }
      },
    },
  };
}

function disposeRun(modules: Record<string, Module>): void {
  for (const m of new Set(Object.values(modules))) m.dispose();
}

function describeRunRow(row: MethodRunCase, backend: string, timeout: number): void {
  const steps = row.steps ?? 3;
  const resumeAt = row.resumeAt ?? 1;
  if (!(Number.isInteger(resumeAt) && resumeAt >= 1 && resumeAt < steps)) throw new Error(`method matrix ${row.name}: resumeAt must be in [1, steps)`);
  const quiet = { progress: 'none' as const, logEvery: 1 };
  /** One run: fresh data, runMethod, the final weights; everything but the returned snapshot is freed. */
  const once = async (run: MethodRunOptions, maxSteps: number) => {
    await useBackend(backend as never);
    setGlobalSeed(0);
    const data = await row.data();
    let modules: Record<string, Module> | undefined;
    let info: unknown;
    try {
      const r = await runMethod(row.method, row.config as never, data, { ...quiet, ...row.run, ...run, maxSteps });
      modules = r.modules;
      info = r.info;
      return { result: r.result, weights: await modulesSnapshot(r.modules) };
    } finally {
      if (info !== undefined) row.disposeInfo?.(info);
      row.dispose?.(data);
      if (modules) disposeRun(modules);
    }
  };
  const expectSame = (a: Snapshot, b: Snapshot, what: string) => {
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    for (const [n, v] of a) expect(sameBits(v, b.get(n)!), `${n} differs: ${what}`).toBe(true);
  };

  describe(`method run ${row.name} [${backend}]`, () => {
    test('runMethod trains: finite named losses, frozen parameters untouched, no tensor leaked, the same seed gives the same weights', async () => {
      const first = await once({}, steps); // warm-up: kernels and persistent caches
      expect(first.result.steps).toBe(steps);
      const train = first.result.history.filter((r) => r.type === 'train');
      expect(train.length, 'no train record').toBeGreaterThan(0);
      for (const r of train) {
        for (const [k, v] of Object.entries(r)) if (typeof v === 'number') expect(Number.isFinite(v), `step ${r.step}: ${k} = ${v}`).toBe(true);
        expect(typeof (r.loss ?? r.total), `step ${r.step} logged no loss`).toBe('number');
      }
      const watch = frozenWatch();
      const before = tf.memory().numTensors;
      const second = await once({ callbacks: [watch.callback] }, steps);
      expect(tf.memory().numTensors - before, 'tensors leaked by a run').toBe(0);
      expect(watch.problems).toEqual([]);
      expectSame(first.weights, second.weights, 'two runs with the same seed');
    }, timeout);

    test(`an interrupted run resumed from its checkpoint (step ${resumeAt}) ends bit-identical to an uninterrupted one`, async () => {
      const whole = await once({}, steps);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lel-method-matrix-'));
      try {
        const checkpoint = { every: { steps: 1 } };
        const cut = await once({ runDir: dir, checkpoint }, resumeAt);
        expect(cut.result.steps).toBe(resumeAt);
        const resumed = await once({ runDir: dir, checkpoint, resume: 'last' }, steps);
        expect(resumed.result.resumedFrom, 'did not resume').toBeDefined();
        expect(resumed.result.steps).toBe(steps);
        expectSame(whole.weights, resumed.weights, `resumed at step ${resumeAt}`);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }, timeout);
  });
}

function sameBits(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

/** The total of one evaluation of `loss`, read asynchronously (every intermediate freed). */
async function lossValue(loss: () => tf.Scalar | LossParts): Promise<number> {
  const total = tf.tidy(() => {
    const out = loss();
    return out instanceof tf.Tensor ? out : out.total;
  });
  try {
    return (await total.data())[0]!;
  } finally {
    total.dispose();
  }
}

async function trainStep(s: MethodSetup, opt: Adam): Promise<number> {
  const { loss, grads } = await computeGradients(s.loss, s.model.trainableParameters());
  opt.step(grads);
  tf.dispose([...grads.values()]);
  return loss;
}

/**
 * The shared method test matrix: every method package runs it on its own rows. For each {@link MethodCase} row
 * and backend: one training step leaks no tensors; the loss is finite; frozen parameters stay bit-identical while
 * some trainable parameter moves; weights round-trip through safetensors into a fresh instance with equal loss;
 * the same seed gives the same numbers. For each {@link MethodRunCase} row (a method trained through `runMethod`):
 * finite named losses, untouched frozen parameters, no leaked tensor and equal weights for equal seeds over a few
 * steps, and a run interrupted after a checkpoint and resumed ends bit-identical to an uninterrupted one.
 */
export function describeMethodMatrix(allRows: (MethodCase | MethodRunCase)[], options: { backends?: string[]; timeout?: number } = {}): void {
  const backends = options.backends ?? testBackends().slice(0, 1);
  const rows = allRows.filter((r): r is MethodCase => !('method' in r));
  const runRows = allRows.filter((r): r is MethodRunCase => 'method' in r);
  for (const backend of backends) {
    for (const row of runRows) describeRunRow(row, backend, options.timeout ?? 120_000);
    if (rows.length === 0) continue;
    describe.each(rows.map((r) => [r.name, r] as const))(`method matrix %s [${backend}]`, (_name, row) => {
      const make = async (seed: number) => {
        await useBackend(backend as never);
        setGlobalSeed(seed);
        return row.setup(seed);
      };
      const finish = (s: MethodSetup) => {
        s.dispose?.();
        s.model.dispose();
      };

      test('one training step leaks no tensors and the loss is finite', async () => {
        const s = await make(1);
        const opt = new Adam(s.model.trainableParameters(), { lr: s.lr ?? 1e-2 });
        try {
          const first = await trainStep(s, opt); // allocates optimiser slots
          expect(Number.isFinite(first), `loss ${first}`).toBe(true);
          const before = tf.memory().numTensors;
          const second = await trainStep(s, opt);
          expect(Number.isFinite(second), `loss ${second}`).toBe(true);
          expect(tf.memory().numTensors - before, 'tensors leaked by one training step').toBe(0);
        } finally {
          opt.dispose();
          finish(s);
        }
      }, options.timeout ?? 60_000);

      test('frozen parameters stay bit-identical; trainable ones move', async () => {
        const s = await make(2);
        const opt = new Adam(s.model.trainableParameters(), { lr: s.lr ?? 1e-2 });
        try {
          const frozen = s.model.namedParameters().filter(([, p]) => !p.trainable).map(([n]) => n);
          const trainable = s.model.trainableParameters().map(([n]) => n);
          expect(trainable.length, 'the method has no trainable parameter').toBeGreaterThan(0);
          const before = await snapshotAsync(s.model);
          await trainStep(s, opt);
          const after = await snapshotAsync(s.model);
          for (const n of frozen) expect(sameBits(before.get(n)!, after.get(n)!), `frozen ${n} changed`).toBe(true);
          const moved = trainable.filter((n) => !sameBits(before.get(n)!, after.get(n)!));
          expect(moved.length, 'no trainable parameter changed after a step').toBeGreaterThan(0);
        } finally {
          opt.dispose();
          finish(s);
        }
      }, options.timeout ?? 60_000);

      test('weights round-trip through safetensors into a fresh instance', async () => {
        // a: trained one step (weights differ from init); b: same seed, untouched. Loading a's saved
        // weights into b must give bit-identical tensors and the same loss on the same batch.
        const a = await make(3);
        const opt = new Adam(a.model.trainableParameters(), { lr: a.lr ?? 1e-2 });
        const b = await make(3);
        try {
          await trainStep(a, opt);
          const bytes = await serializeSafetensors(a.model.stateDict());
          const loaded = toTensorMap(parseSafetensors(bytes));
          b.model.loadStateDict(loaded);
          tf.dispose([...loaded.values()]);
          const sa = await snapshotAsync(a.model);
          const sb = await snapshotAsync(b.model);
          for (const [n, v] of sa) expect(sameBits(v, sb.get(n)!), `${n} differs after the round trip`).toBe(true);
          a.model.eval();
          b.model.eval();
          const la = await lossValue(() => a.loss());
          const lb = await lossValue(() => b.loss());
          expect(Number.isFinite(la)).toBe(true);
          expect(lb).toBe(la);
        } finally {
          opt.dispose();
          finish(a);
          finish(b);
        }
      }, options.timeout ?? 60_000);

      test('the same seed gives the same numbers', async () => {
        const runs: number[][] = [];
        for (let k = 0; k < 2; k++) {
          const s = await make(5);
          const opt = new Adam(s.model.trainableParameters(), { lr: s.lr ?? 1e-2 });
          try {
            const l1 = await trainStep(s, opt);
            const l2 = await lossValue(() => s.loss());
            runs.push([l1, l2]);
          } finally {
            opt.dispose();
            finish(s);
          }
        }
        expect(runs[1]).toEqual(runs[0]);
      }, options.timeout ?? 60_000);
    });
  }
}
