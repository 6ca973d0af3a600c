import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { Rng, useBackend } from '@lel/core';
import { testBackends } from '@lel/core/testing';
import { beforeEach, describe, expect, test } from 'vitest';
import { attentionMask, MaskedSelfAttention } from './attention';
import { causalityViolations, receptiveField } from './causality';
import { MaskedConv2d } from './masked-conv';
import { ArEncoder, ArSegModel } from './model';
import { ORDERINGS, visitRank } from './orderings';

const backend = testBackends()[0]!;

/** Output at (row, col) before and after changing input pixel (py, px) in every channel. */
function perturbAt(fn: (x: tf.Tensor4D) => tf.Tensor, x: tf.Tensor4D, row: number, col: number, py: number, px: number): [Float32Array, Float32Array] {
  return tf.tidy(() => {
    const [, h, w, c] = x.shape;
    const bump = tf.buffer([1, h, w, c]);
    for (let k = 0; k < c; k++) bump.set(3, 0, py, px, k);
    const x2 = tf.add(x, bump.toTensor()) as tf.Tensor4D;
    const at = (inp: tf.Tensor4D) => tf.slice(fn(inp), [0, row, col, 0], [1, 1, 1, -1]).dataSync() as Float32Array;
    return [at(x), at(x2)];
  });
}

/**
 * For every pixel later than (row, col) in ordering o: changing it leaves the output at (row, col) bit-identical; and
 * changing some pixel not later than it does change it (the test is not vacuous).
 */
function expectCausal(fn: (x: tf.Tensor4D) => tf.Tensor, x: tf.Tensor4D, o: number, row: number, col: number): void {
  const [, h, w] = x.shape;
  const rank = visitRank(h, w, o);
  const own = rank[row * w + col]!;
  let pastMatters = false;
  for (let i = 0; i < h * w; i++) {
    const py = Math.floor(i / w);
    const px = i % w;
    if (rank[i]! <= own && pastMatters) continue;
    const [a, b] = perturbAt(fn, x, row, col, py, px);
    if (rank[i]! > own) expect(Array.from(b), `ordering ${o}: output (${row}, ${col}) changed when later pixel (${py}, ${px}) changed`).toEqual(Array.from(a));
    else pastMatters = Array.from(b).some((v, k) => v !== a[k]);
  }
  expect(pastMatters, `ordering ${o}: output (${row}, ${col}) depends on no pixel at all`).toBe(true);
}

describe(`causality [${backend}]`, () => {
  beforeEach(async () => {
    await useBackend(backend as never);
  });

  test.each([3, 5, 7])('stacked masked convs (k = %i): the receptive field never reaches a later pixel', async (k) => {
    const rng = new Rng(k);
    const l1 = new MaskedConv2d(2, 3, k, { rng });
    const l2 = new MaskedConv2d(3, 2, k, { rng });
    for (const o of ORDERINGS) {
      for (const [row, col] of [
        [3, 4],
        [0, 0],
        [6, 8],
      ] as const) {
        const field = await receptiveField((x) => l2.forward(l1.forward(x, o), o), [7, 9, 2], row, col);
        expect(causalityViolations(field, 7, 9, row, col, o), `k ${k} ordering ${o} at (${row}, ${col})`).toEqual([]);
        expect(field[row * 9 + col], 'the pixel itself is seen (type B)').toBe(1);
      }
      // The unmasked ordering 0 sees the later neighbours too.
      const full = await receptiveField((x) => l2.forward(l1.forward(x, 0), 0), [7, 9, 2], 3, 4);
      expect(causalityViolations(full, 7, 9, 3, 4, o).length).toBeGreaterThan(0);
    }
    l1.dispose();
    l2.dispose();
  });

  test('attention masks follow each ordering’s visit order (including the pixel itself)', () => {
    const h = 3;
    const w = 4;
    for (const o of ORDERINGS) {
      const m = attentionMask(h, w, o);
      const rank = visitRank(h, w, o);
      for (let j = 0; j < h * w; j++) for (let i = 0; i < h * w; i++) expect(m[j * h * w + i]).toBe(rank[i]! <= rank[j]! ? 1 : 0);
    }
    expect(attentionMask(h, w, 0).every((v) => v === 1)).toBe(true);
  });

  test('the re-implementation’s attention mask (rows indexed by scan step) leaks future pixels for orderings 2–8; ours does not', () => {
    // create_attention_masks [model/attention_layer.py]: a = arange(H·W) transformed per ordering, px_ord = a.flatten(),
    // mask[j, px_ord[:j+1]] = 1, applied with j as the raster index of the query.
    const n = 4;
    type M = number[][];
    const rot = (a: M): M => a.map((_, i) => a.map((r) => r[n - 1 - i]!));
    const fV = (a: M): M => [...a].reverse();
    const fH = (a: M): M => a.map((r) => [...r].reverse());
    const tr: Record<number, (a: M) => M> = { 1: (a) => a, 2: (a) => fV(rot(a)), 3: fH, 4: (a) => rot(rot(rot(a))), 5: rot, 6: fV, 7: (a) => rot(rot(a)), 8: (a) => fV(rot(rot(rot(a)))) };
    for (const o of ORDERINGS) {
      const a = Array.from({ length: n }, (_, y) => Array.from({ length: n }, (_, x) => y * n + x));
      const pxOrd = tr[o]!(a).flat();
      const rank = visitRank(n, n, o);
      let leaks = 0;
      for (let j = 0; j < n * n; j++) for (const i of pxOrd.slice(0, j + 1)) if (rank[i]! > rank[j]!) leaks++;
      if (o === 1) expect(leaks).toBe(0);
      else expect(leaks, `ordering ${o}`).toBeGreaterThan(0);
      const ours = attentionMask(n, n, o);
      for (let j = 0; j < n * n; j++) for (let i = 0; i < n * n; i++) if (ours[j * n * n + i]) expect(rank[i]).toBeLessThanOrEqual(rank[j]!);
    }
  });

  test.each(ORDERINGS.map((o) => [o]))('masked self-attention, ordering %i: later pixels cannot change an output', (o) => {
    const rng = new Rng(10 + o);
    const att = new MaskedSelfAttention(3, { dk: 4, rng });
    const x = rng.normalTensor([1, 4, 5, 3]) as tf.Tensor4D;
    expectCausal((inp) => att.forward(inp, o), x, o, 2, 2);
    tf.dispose(x);
    att.dispose();
  });

  test.each(ORDERINGS.map((o) => [o]))('whole model masked on the input, with attention, ordering %i: later pixels cannot change the cluster probabilities', (o) => {
    const rng = new Rng(20 + o);
    const model = new ArSegModel({ inChannels: 2, numClusters: 3, stemChannels: 2, numBlocks: 2, maskOn: 'input', attention: true, attentionDim: 2 }, rng);
    model.eval();
    const x = rng.uniformTensor([1, 5, 6, 2]) as tf.Tensor4D;
    expectCausal((inp) => model.forward(inp, o).probs, x, o, 2, 3);
    // Ordering 0 (inference) is unmasked: the last pixel in the scan does influence (2, 3).
    const rank = visitRank(5, 6, o);
    const last = rank.indexOf(29);
    const [a, b] = perturbAt((inp) => model.forward(inp, 0).probs, x, 2, 3, Math.floor(last / 6), last % 6);
    expect(Array.from(b)).not.toEqual(Array.from(a));
    tf.dispose(x);
    model.dispose();
  });

  test('masked on features, with attention: the AR part is causal on the stem’s feature grid for every ordering', async () => {
    const rng = new Rng(31);
    const enc = new ArEncoder({ inChannels: 1, stemChannels: 2, numBlocks: 3, kernelSize: 5, attention: true, attentionDim: 2 }, rng);
    const h = rng.uniformTensor([1, 5, 5, 2]) as tf.Tensor4D;
    for (const o of ORDERINGS) {
      const field = await receptiveField((inp) => enc.fromStem(inp, o), [5, 5, 2], 2, 1, h);
      expect(causalityViolations(field, 5, 5, 2, 1, o), `ordering ${o}`).toEqual([]);
    }
    tf.dispose(h);
    enc.dispose();
  });
});
