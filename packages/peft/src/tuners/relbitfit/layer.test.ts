import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { Rng, linear, useBackend } from '@lel/core';
import { gradCheck } from '@lel/core/testing';
import { BertSelfAttention, bertConfig } from '@lel/models';
import { beforeAll, describe, expect, test } from 'vitest';
import { RelBitFitSelfAttention, relBitFitLogits, relativeBuckets, relativeKeyTable, relativeScalarTable, type RelativeTableSpec } from './layer';

const config = bertConfig({ hiddenSize: 12, numAttentionHeads: 3, intermediateSize: 8, attentionProbsDropoutProb: 0, vocabSize: 10, maxPositionEmbeddings: 16 });

describe('RelBitFit layer', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  test('buckets: clip(i − j, ±L) + L', () => {
    const b = relativeBuckets(3, 4, 1);
    expect(Array.from(b.dataSync())).toEqual([1, 0, 0, 0, 2, 1, 0, 0, 2, 2, 1, 0]);
    b.dispose();
    expect(() => relativeBuckets(2, 2, -1)).toThrow(/maxDistance/);
  });

  test('zero tables reproduce the wrapped attention; set tables match the functional form with the mask', () => {
    const rng = new Rng(3);
    const base = new BertSelfAttention(config).eval();
    const layer = new RelBitFitSelfAttention(base).eval();
    layer.addAdapter('default', { maxDistance: 2, shareAcrossHeads: false, rank: 2, rng });
    layer.activeAdapter = 'default';
    const x = rng.normalTensor([2, 5, 12]);
    const mask = tf.tensor4d([0, 0, 0, 0, 0, 0, 0, 0, -10000, -10000], [2, 1, 1, 5]);
    const y0 = layer.forward(x, mask);
    const yb = base.forward(x, mask);
    expect(tf.max(tf.abs(tf.sub(y0, yb))).dataSync()[0]).toBeLessThan(1e-6);
    // Give the tables values and compare with the functional definition.
    const [u, v, s] = layer.adapterParameters('default').map(([, p]) => p);
    u!.assign(rng.normalTensor(u!.shape));
    s!.assign(rng.normalTensor(s!.shape));
    const y = layer.forward(x, mask);
    const expected = tf.tidy(() => {
      const q = base.children().find(([n]) => n === 'query')![1] as unknown as { weight: { variable: tf.Tensor }; bias: { variable: tf.Tensor } };
      const k = base.children().find(([n]) => n === 'key')![1] as unknown as { weight: { variable: tf.Tensor }; bias: { variable: tf.Tensor } };
      const val = base.children().find(([n]) => n === 'value')![1] as unknown as { weight: { variable: tf.Tensor }; bias: { variable: tf.Tensor } };
      const spec: RelativeTableSpec = { numHeads: 3, headDim: 4, maxDistance: 2, shareAcrossHeads: false, rank: 2 };
      const tables = { U: u!.variable, V: v!.variable, s: s!.variable };
      const logits = relBitFitLogits({
        q: linear(x, q.weight.variable, q.bias.variable),
        k: linear(x, k.weight.variable, k.bias.variable),
        qNoBias: linear(x, q.weight.variable),
        keyTable: relativeKeyTable(tables, spec),
        scalarTable: relativeScalarTable(tables.s, spec),
        numHeads: 3,
        maxDistance: 2,
      });
      const probs = tf.softmax(tf.add(logits, mask), -1);
      const vh = tf.transpose(tf.reshape(linear(x, val.weight.variable, val.bias.variable), [2, 5, 3, 4]), [0, 2, 1, 3]);
      return tf.reshape(tf.transpose(tf.matMul(probs, vh), [0, 2, 1, 3]), [2, 5, 12]);
    });
    expect(tf.max(tf.abs(tf.sub(y, expected))).dataSync()[0]).toBeLessThan(1e-5);
    expect(tf.max(tf.abs(tf.sub(y, yb))).dataSync()[0]).toBeGreaterThan(1e-4);
    tf.dispose([x, mask, y0, yb, y, expected]);
    layer.dispose();
  });

  test('gradients of R and s match finite differences', async () => {
    const rng = new Rng(4);
    const spec: RelativeTableSpec = { numHeads: 2, headDim: 2, maxDistance: 1, shareAcrossHeads: false, rank: null };
    const q = rng.normalTensor([1, 4, 4]);
    const k = rng.normalTensor([1, 4, 4]);
    const qz = rng.normalTensor([1, 4, 4]);
    const w = rng.normalTensor([1, 2, 4, 4]);
    const r = rng.normalTensor([2, 3, 2]);
    const s = rng.normalTensor([2, 3]);
    await gradCheck(
      (rr, ss) =>
        tf.sum(tf.mul(tf.softmax(relBitFitLogits({ q, k, qNoBias: qz, keyTable: relativeKeyTable({ R: rr, s: ss }, spec), scalarTable: relativeScalarTable(ss!, spec), numHeads: 2, maxDistance: 1 }), -1), w)) as tf.Scalar,
      [r, s],
    );
    tf.dispose([q, k, qz, w, r, s]);
  });
});
