import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, test } from 'vitest';
import { useBackend } from '../backend';
import { Parameter } from '../module/parameter';
import { describeBackends } from '../testing/backends';
import { clipGradNorm } from './clip-grad-norm';
import { computeGradients, hasNonFinite } from './gradients';
import type { NamedParameter } from './optimizer';

function param(values: number[], shape: number[], trainable = true): Parameter {
  const t = tf.tensor(values, shape);
  const p = new Parameter(t, trainable);
  t.dispose();
  return p;
}

describeBackends('gradient utilities', (backend) => {
  beforeAll(() => useBackend(backend as never));

  test('computeGradients keys gradients by hierarchical name, skips frozen and unused parameters', async () => {
    const w = param([1, 2, 3], [3]);
    const b = param([0.5], [1]);
    const frozen = param([4], [1], false);
    const unused = param([7], [1]);
    const params: NamedParameter[] = [['enc.w', w], ['enc.b', b], ['frozen', frozen], ['unused', unused]];
    const before = tf.memory().numTensors;
    const r = await computeGradients(() => {
      const ce = tf.sum(tf.mul(tf.mul(w.variable, w.variable), frozen.variable)); // Σ 4 w²
      const reg = tf.sum(tf.mul(b.variable, 3));
      return { total: tf.add(ce, reg) as tf.Scalar, ce: ce as tf.Scalar, reg: reg as tf.Scalar };
    }, params);
    // The gradients are the only tensors that outlive the call.
    expect(tf.memory().numTensors - before).toBe(2);
    expect([...r.grads.keys()].sort()).toEqual(['enc.b', 'enc.w']);
    expect(r.loss).toBeCloseTo(4 * 14 + 1.5, 4);
    expect(r.parts).toEqual({ ce: expect.closeTo(56, 4), reg: expect.closeTo(1.5, 5) });
    expect(Array.from(await r.grads.get('enc.w')!.data())).toEqual([8, 16, 24]);
    expect(Array.from(await r.grads.get('enc.b')!.data())).toEqual([3]);
    tf.dispose([...r.grads.values()]);
    [w, b, frozen, unused].forEach((p) => p.dispose());
  });

  test('computeGradients returns a non-finite loss for the caller to judge, and rejects bad losses', async () => {
    const w = param([0], [1]);
    const before = tf.memory().numTensors;
    const r = await computeGradients(() => tf.sum(tf.log(w.variable)) as tf.Scalar, [['w', w]]);
    expect(r.loss).toBe(-Infinity);
    expect(await hasNonFinite(r.grads)).toBe(true);
    tf.dispose([...r.grads.values()]);
    await expect(computeGradients(() => tf.mul(w.variable, 2) as unknown as tf.Scalar, [['w', w]])).rejects.toThrow(/the loss must be a scalar, got shape \[1\]/);
    await expect(computeGradients(() => tf.sum(w.variable) as tf.Scalar, [['w', param([1], [1], false)]])).rejects.toThrow(/no trainable parameter/);
    await expect(computeGradients(() => ({ total: tf.sum(w.variable) as tf.Scalar, part: tf.ones([2]) as tf.Scalar }), [["w", w]])).rejects.toThrow(/loss part "part" must be a scalar, got shape \[2\]/);
    expect(tf.memory().numTensors - before).toBe(1); // only the frozen parameter created inline
    w.dispose();
  });

  test('clipGradNorm and hasNonFinite over 40 gradients (more inputs than a GPU kernel may bind): the in-order sum', async () => {
    const grads = new Map<string, tf.Tensor>(Array.from({ length: 40 }, (_, i) => [`g${i}`, tf.tensor1d([i * 0.25, -1])] as [string, tf.Tensor]));
    const r = await clipGradNorm(grads, 1e9);
    let sq = 0;
    for (let i = 0; i < 40; i++) sq = Math.fround(sq + Math.fround(Math.fround((i * 0.25) ** 2) + 1));
    expect(r.totalNorm).toBeCloseTo(Math.sqrt(sq), 3);
    expect(await hasNonFinite(grads)).toBe(false);
    grads.set('bad', tf.tensor1d([NaN]));
    expect(await hasNonFinite(grads)).toBe(true);
    tf.dispose([...grads.values(), ...r.grads.values()]);
  });

  test('hasNonFinite', async () => {
    const a = tf.tensor1d([1, 2]);
    const b = tf.tensor1d([Infinity]);
    expect(await hasNonFinite(new Map([['a', a]]))).toBe(false);
    expect(await hasNonFinite(new Map([['a', a], ['b', b]]))).toBe(true);
    expect(await hasNonFinite(new Map())).toBe(false);
    tf.dispose([a, b]);
  });

  test('clipGradNorm: torch semantics for L2, L1 and max norms; new tensors, no leaks', async () => {
    const grads = new Map<string, tf.Tensor>([
      ['a', tf.tensor1d([3, 0])],
      ['b', tf.tensor2d([[0, -4]])],
    ]);
    const before = tf.memory().numTensors;
    const r = await clipGradNorm(grads, 1);
    expect(tf.memory().numTensors - before).toBe(2); // just the clipped copies

    expect(r.totalNorm).toBeCloseTo(5, 5);
    expect(Array.from(await r.grads.get('a')!.data())).toEqual([expect.closeTo(0.6, 5), 0]);
    expect(r.grads.get('b')!.shape).toEqual([1, 2]);
    const l1 = await clipGradNorm(grads, 100, 1);
    expect(l1.totalNorm).toBeCloseTo(7, 5);
    expect(Array.from(await l1.grads.get('b')!.data())).toEqual([0, -4]);
    const inf = await clipGradNorm(grads, 2, Infinity);
    expect(inf.totalNorm).toBe(4);
    expect((await inf.grads.get('b')!.data())[1]).toBeCloseTo(-2, 5);
    expect(r.grads.get('a')).not.toBe(grads.get('a'));
    tf.dispose([...grads.values(), ...r.grads.values(), ...l1.grads.values(), ...inf.grads.values()]);
    expect((await clipGradNorm(new Map(), 1)).totalNorm).toBe(0);
    await expect(clipGradNorm(grads, -1)).rejects.toThrow(/maxNorm must be >= 0/);
  });
});

describe('computeGradients with a part that is the total tensor', () => {
  test('`{ total: ce, ce }` reports both and frees everything', async () => {
    const { Module } = await import('../module/module');
    class P extends Module {
      w = this.registerParameter('w', tf.tensor1d([1, 2]));
    }
    const m = new P();
    const before = tf.memory().numTensors;
    const out = await computeGradients(() => {
      const ce = tf.sum(tf.square(m.w.variable)) as tf.Scalar;
      return { total: ce, ce };
    }, m.namedParameters());
    expect(out.loss).toBe(5);
    expect(out.parts.ce).toBe(5);
    tf.dispose([...out.grads.values()]);
    expect(tf.memory().numTensors).toBe(before);
    m.dispose();
  });
});
