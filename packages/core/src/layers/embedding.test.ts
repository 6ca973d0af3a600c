import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { useBackend, type BackendName } from '../backend';
import { Rng } from '../random/rng';
import { testBackends } from '../testing/backends';
import { gradCheck } from '../testing/gradcheck';
import { expectNoLeaks } from '../testing/leaks';
import { Embedding, embeddingLookup } from './embedding';

for (const backend of testBackends()) {
  describe(`Embedding [${backend}]`, () => {
    beforeAll(() => useBackend(backend as BackendName));

    test('looks up rows; repeated ids accumulate gradient (UnsortedSegmentSum: a LEL kernel on wasm); no leaks', async () => {
      const emb = new Embedding(5, 3, { rng: new Rng('e') });
      const ids = tf.tensor2d([[1, 4, 1], [0, 1, 3]], [2, 3], 'int32');
      const w = emb.weight.variable.arraySync() as number[][];
      tf.tidy(() => {
        const y = emb.forward(ids);
        expect(y.shape).toEqual([2, 3, 3]);
        expect((y.arraySync() as number[][][])[0]![1]).toEqual(w[4]);
        const { grads } = tf.variableGrads(() => tf.sum(emb.forward(ids)) as tf.Scalar, [emb.weight.variable]);
        const g = grads[emb.weight.variable.name]!.arraySync() as number[][];
        expect(g.map((r) => r[0])).toEqual([1, 3, 0, 1, 1]);
      });
      const probe = new Rng('p').normalTensor([2, 3, 3]);
      const w0 = tf.clone(emb.weight.variable);
      await gradCheck((ww) => tf.sum(tf.mul(embeddingLookup(ww!, ids), probe)) as tf.Scalar, [w0]);
      await expectNoLeaks(() => tf.variableGrads(() => tf.sum(emb.forward(ids)) as tf.Scalar), { disposeResult: true });
      tf.dispose([ids, probe, w0]);
      emb.dispose();
    });
  });
}

describe('Embedding validation', () => {
  beforeAll(() => useBackend('cpu'));
  test('out-of-range and non-int ids are rejected naming the value', () => {
    const emb = new Embedding(4, 2);
    expect(() => emb.forward(tf.tensor1d([0, 4], 'int32'))).toThrow(/Embedding: id 4 at flat position 1 is out of range \[0, 4\)/);
    expect(() => emb.forward(tf.tensor1d([-1], 'int32'))).toThrow(/id -1/);
    expect(() => emb.forward(tf.tensor1d([1]))).toThrow(/ids must be int32, got float32/);
    expect(emb.weight.shape).toEqual([4, 2]);
    emb.dispose();
  });
});
