import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, test } from 'vitest';
import type { Module } from '../module/module';
import { useBackend } from '../backend';
import { setGlobalSeed } from '../random/rng';
import { Adam } from '../optim/adam';
import { computeGradients } from '../optim/gradients';
import { parseSafetensors, serializeSafetensors, toTensorMap } from '../io/safetensors';
import type { LossParts } from '../train/types';
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

function snapshot(model: Module): Map<string, Float32Array | Int32Array | Uint8Array> {
  const out = new Map<string, Float32Array | Int32Array | Uint8Array>();
  for (const [n, t] of model.stateDict()) out.set(n, t.dataSync().slice() as Float32Array);
  return out;
}

function sameBits(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

function lossValue(out: tf.Scalar | LossParts): number {
  const total = out instanceof tf.Tensor ? out : out.total;
  return total.dataSync()[0]!;
}

async function trainStep(s: MethodSetup, opt: Adam): Promise<number> {
  const { loss, grads } = computeGradients(s.loss, s.model.trainableParameters());
  opt.step(grads);
  tf.dispose([...grads.values()]);
  return loss;
}

/**
 * The shared method test matrix: every method package runs it on its own rows. For each row and backend:
 * one training step leaks no tensors; the loss is finite; frozen parameters stay bit-identical while some
 * trainable parameter moves; weights round-trip through safetensors into a fresh instance with equal loss;
 * the same seed gives the same numbers.
 */
export function describeMethodMatrix(rows: MethodCase[], options: { backends?: string[]; timeout?: number } = {}): void {
  const backends = options.backends ?? testBackends().slice(0, 1);
  for (const backend of backends) {
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
          const before = snapshot(s.model);
          await trainStep(s, opt);
          const after = snapshot(s.model);
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
          const bytes = serializeSafetensors(a.model.stateDict());
          const loaded = toTensorMap(parseSafetensors(bytes));
          b.model.loadStateDict(loaded);
          tf.dispose([...loaded.values()]);
          const sa = snapshot(a.model);
          const sb = snapshot(b.model);
          for (const [n, v] of sa) expect(sameBits(v, sb.get(n)!), `${n} differs after the round trip`).toBe(true);
          a.model.eval();
          b.model.eval();
          const la = tf.tidy(() => lossValue(a.loss()));
          const lb = tf.tidy(() => lossValue(b.loss()));
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
            const l2 = tf.tidy(() => lossValue(s.loss()));
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
