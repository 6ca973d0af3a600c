import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { Rng, useBackend } from '@lel/core';
import { expectNoLeaks, gradCheck } from '@lel/core/testing';
import { BertOutput, bertConfig } from '@lel/models';
import { beforeAll, describe, expect, test } from 'vitest';
import { KronaBlock, kron, kronaAdapterForward } from './layer';

describe('KronA layer', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  test.each([
    [[2, 3], [4, 5], [7]],
    [[3, 1], [2, 6], [2, 3]],
    [[1, 4], [6, 1], [5]],
  ])('efficient forward equals x·kron(A, B) for A %j, B %j, batch %j', (aShape, bShape, lead) => {
    const rng = new Rng(1);
    const a = rng.normalTensor(aShape);
    const b = rng.normalTensor(bShape);
    const x = rng.normalTensor([...lead, aShape[0]! * bShape[0]!]);
    const fast = kronaAdapterForward(x, a, b, 0.7);
    const slow = tf.tidy(() => tf.mul(tf.reshape(tf.matMul(tf.reshape(x, [-1, aShape[0]! * bShape[0]!]), kron(a, b)), fast.shape), 0.7));
    expect(fast.shape).toEqual([...lead, aShape[1]! * bShape[1]!]);
    expect(tf.max(tf.abs(tf.sub(fast, slow))).dataSync()[0]).toBeLessThan(1e-4);
    tf.dispose([a, b, x, fast, slow]);
  });

  test('gradients of A and B match finite differences; no leaks', async () => {
    await useBackend('cpu');
    const rng = new Rng(2);
    const a = rng.normalTensor([2, 3]);
    const b = rng.normalTensor([3, 2]);
    const x = rng.normalTensor([4, 6]);
    await gradCheck((aa, bb) => tf.sum(tf.square(kronaAdapterForward(x, aa!, bb!, 1.5))) as tf.Scalar, [a, b]);
    await expectNoLeaks(() => tf.dispose(kronaAdapterForward(x, a, b, 2)));
    expect(() => kronaAdapterForward(rng.normalTensor([2, 5]), a, b, 1)).toThrow(/a1·b1/);
    tf.dispose([a, b, x]);
    await useBackend('wasm');
  });

  test('KronA^B on an HF BertOutput: zero init is the base block; the adapter adds s·x(A⊗B) before the LayerNorm', () => {
    const cfg = bertConfig({ hiddenSize: 8, intermediateSize: 16, numAttentionHeads: 2, hiddenDropoutProb: 0 });
    const rng = new Rng(5);
    const out = new BertOutput(cfg).eval();
    const block = new KronaBlock(out, 8);
    block.addAdapter('default', { aShape: [2, 4], bShape: [4, 2], scale: 0.5, scaleTrainable: false, zeroFactor: 'A', residual: false, resScale: 1, rng });
    block.activeAdapter = 'default';
    const inter = rng.normalTensor([2, 3, 16]);
    const x = rng.normalTensor([2, 3, 8]);
    const y0 = block.forward(inter, x);
    const yb = out.forward(inter, x);
    expect(tf.max(tf.abs(tf.sub(y0, yb))).dataSync()[0]).toBe(0);
    const a = block.adapterParameters('default')[0]![1];
    a.assign(rng.normalTensor([2, 4]));
    const y = block.forward(inter, x);
    // Reference: LayerNorm(dense(inter) + 0.5·x(A⊗B) + x) through the base block with a shifted input.
    const ref = tf.tidy(() => {
      const delta = kronaAdapterForward(x, block.adapterParameters('default')[0]![1].variable, block.adapterParameters('default')[1]![1].variable, 0.5);
      return out.forward(inter, tf.add(x, delta)); // LN(dense(inter) + x + delta)
    });
    expect(tf.max(tf.abs(tf.sub(y, ref))).dataSync()[0]).toBeLessThan(1e-5);
    tf.dispose([inter, x, y0, yb, y, ref]);
    block.dispose();
  });
});
