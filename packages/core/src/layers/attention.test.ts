import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { useBackend, type BackendName } from '../backend';
import { Rng } from '../random/rng';
import { testBackends } from '../testing/backends';
import { gradCheck } from '../testing/gradcheck';
import { expectNoLeaks } from '../testing/leaks';
import { MultiHeadAttention } from './attention';

/** Reference in plain JS: per head softmax(q kᵀ/√dh + mask) v, then the output projection. */
function reference(mha: MultiHeadAttention, q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, mask: number[] | null): number[][][] {
  const proj = (lin: MultiHeadAttention['query'], x: tf.Tensor) => lin.forward(x).arraySync() as number[][][];
  const [Q, K, V] = [proj(mha.query, q), proj(mha.key, k), proj(mha.value, v)];
  const [b, lq] = q.shape as number[];
  const lk = k.shape[1]!;
  const dh = mha.headDim;
  const ctx: number[][][] = [];
  for (let n = 0; n < b!; n++) {
    ctx.push([]);
    for (let i = 0; i < lq!; i++) {
      const row = new Array<number>(mha.dModel).fill(0);
      for (let h = 0; h < mha.numHeads; h++) {
        const s: number[] = [];
        for (let j = 0; j < lk; j++) {
          let dot = 0;
          for (let e = 0; e < dh; e++) dot += Q[n]![i]![h * dh + e]! * K[n]![j]![h * dh + e]!;
          s.push(dot / Math.sqrt(dh) + (mask ? mask[j]! : 0));
        }
        const mx = Math.max(...s);
        const ex = s.map((a) => Math.exp(a - mx));
        const z = ex.reduce((a, c) => a + c, 0);
        for (let j = 0; j < lk; j++) for (let e = 0; e < dh; e++) row[h * dh + e]! += (ex[j]! / z) * V[n]![j]![h * dh + e]!;
      }
      ctx[n]!.push(row);
    }
  }
  return mha.out.forward(tf.tensor3d(ctx)).arraySync() as number[][][];
}

for (const backend of testBackends()) {
  describe(`MultiHeadAttention [${backend}]`, () => {
    beforeAll(() => useBackend(backend as BackendName));

    test('matches the per-head reference, with and without an additive key mask', () => {
      const rng = new Rng('mha');
      const mha = new MultiHeadAttention(8, 2, { rng });
      tf.tidy(() => {
        const q = rng.normalTensor([2, 3, 8]);
        const kv = rng.normalTensor([2, 4, 8]);
        const maskRow = [0, 0, -1e4, 0];
        for (const mask of [null, maskRow]) {
          const y = mha.forward(q, kv, kv, mask ? { additiveMask: tf.tensor4d(mask, [1, 1, 1, 4]) } : {});
          const ref = reference(mha, q, kv, kv, mask);
          const got = y.arraySync() as number[][][];
          for (let n = 0; n < 2; n++) for (let i = 0; i < 3; i++) for (let e = 0; e < 8; e++) expect(got[n]![i]![e]).toBeCloseTo(ref[n]![i]![e]!, 4);
        }
        // A masked key does not influence the output.
        const m = { additiveMask: tf.tensor4d(maskRow, [1, 1, 1, 4]) };
        const v2 = tf.concat([tf.slice(kv, [0, 0, 0], [2, 2, 8]), tf.add(tf.slice(kv, [0, 2, 0], [2, 1, 8]), 5), tf.slice(kv, [0, 3, 0], [2, 1, 8])], 1);
        const a = mha.forward(q, kv, kv, m).dataSync();
        const b = mha.forward(q, kv, v2, m).dataSync();
        a.forEach((x, i) => expect(b[i]).toBeCloseTo(x, 4));
      });
      expect(mha.namedParameters().map(([n]) => n)).toEqual(['query.weight', 'query.bias', 'key.weight', 'key.bias', 'value.weight', 'value.bias', 'out.weight', 'out.bias']);
      mha.dispose();
    });

    test('gradient wrt q, k, v matches finite differences; dropout is seeded and eval-only off; no leaks', async () => {
      const rng = new Rng('mha-g');
      const mha = new MultiHeadAttention(4, 2, { rng, dropout: 0.3 });
      const q = rng.normalTensor([1, 2, 4]);
      const k = rng.normalTensor([1, 3, 4]);
      const v = rng.normalTensor([1, 3, 4]);
      const probe = rng.normalTensor([1, 2, 4]);
      mha.eval();
      await gradCheck((qq, kk, vv) => tf.sum(tf.mul(mha.forward(qq!, kk!, vv!), probe)) as tf.Scalar, [q, k, v]);
      mha.train();
      const y1 = tf.tidy(() => mha.forward(q, k, v).dataSync());
      const y2 = tf.tidy(() => mha.forward(q, k, v).dataSync());
      expect(Array.from(y1)).not.toEqual(Array.from(y2));
      await expectNoLeaks(() => tf.variableGrads(() => tf.sum(mha.forward(q, k, v)) as tf.Scalar), { disposeResult: true });
      expect(() => mha.forward(q, tf.zeros([1, 3, 5]), v)).toThrow(/MultiHeadAttention: k must have last dimension 4, got shape \[1,3,5\]/);
      expect(() => mha.forward(q, k, tf.zeros([1, 2, 4]))).toThrow(/k and v must have the same length/);
      expect(() => mha.forward(q, k, v, { additiveMask: tf.zeros([1, 1, 1, 2]) })).toThrow(/additiveMask of shape \[1,1,1,2\] does not broadcast/);
      expect(() => new MultiHeadAttention(6, 4)).toThrow(/dModel \(6\) must be divisible by numHeads \(4\)/);
      tf.dispose([q, k, v, probe]);
      mha.dispose();
    });
  });
}

describe('MultiHeadAttention generator state', () => {
  beforeAll(() => useBackend('cpu'));

  test('with dropout its own generator is module state (`rng`): save → load of the extra state replays the masks', () => {
    const make = (seed: string) => new MultiHeadAttention(4, 2, { dropout: 0.3, rng: new Rng(seed) });
    const a = make('a');
    const input = new Rng('inputs');
    const [q, k, v] = [input.normalTensor([2, 3, 4]), input.normalTensor([2, 5, 4]), input.normalTensor([2, 5, 4])];
    const outs = (m: MultiHeadAttention, n: number) => Array.from({ length: n }, () => tf.tidy(() => Array.from(m.forward(q, k, v).dataSync())));
    outs(a, 2);
    const saved = JSON.parse(JSON.stringify(a.extraStateDict())) as ReturnType<MultiHeadAttention['extraStateDict']>;
    expect(Object.keys(saved.generators)).toEqual(['rng']);
    const expected = outs(a, 3); // what the uninterrupted run computes next

    // Same weights, another generator: other masks until the generator state is restored.
    const b = make('b');
    b.loadStateDict(a.stateDict());
    expect(outs(b, 1)[0]).not.toEqual(expected[0]);
    expect(b.loadExtraStateDict(saved)).toEqual([]);
    expect(outs(b, 3)).toEqual(expected);
    tf.dispose([q, k, v]);
    a.dispose();
    b.dispose();
  });

  test('a generator used only for the initial weights (dropout 0), or none, is not registered', () => {
    const init = new MultiHeadAttention(4, 2, { rng: new Rng('init') });
    const global = new MultiHeadAttention(4, 2, { dropout: 0.3 });
    expect(init.namedGenerators()).toEqual([]);
    expect(global.namedGenerators()).toEqual([]);
    init.dispose();
    global.dispose();
  });
});
