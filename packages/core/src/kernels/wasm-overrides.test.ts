import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, test } from 'vitest';
import { compareClose } from '../testing/golden';
import { expectNoLeaks } from '../testing/leaks';
import { transposeValues } from './transpose';
import { applyWasmOverrides, removeWasmOverrides } from './wasm-overrides';
import { describeEachBackend, onBackend, onCpu, randn } from './test-util.fixture';

const mm: [number[], number[], boolean, boolean][] = [
  [[5, 7], [7, 3], false, false],
  [[7, 5], [7, 3], true, false],
  [[5, 7], [3, 7], false, true],
  [[7, 5], [3, 7], true, true],
  [[4, 5, 7], [4, 7, 3], false, false],
  [[4, 7, 5], [4, 3, 7], true, true],
  [[2, 3, 5, 7], [7, 3], false, false],
  [[5, 7], [4, 7, 3], false, false],
  [[1, 5, 7], [4, 3, 7], false, true],
  [[200, 130], [90, 130], false, true],
  // Shapes LEL's SIMD GEMM takes (n a multiple of 4): equal batches, a shared b, ragged m, transposed.
  [[6, 9, 12], [6, 12, 8], false, false],
  [[6, 12, 9], [6, 20, 12], true, true],
  [[3, 2, 5, 12], [12, 20], false, false],
  [[300, 70], [70, 16], false, false],
  [[7, 300], [12, 7], true, true],
];

describeEachBackend('matMul forward (wasm wrapper)', (backend) => {
  test.each(mm)('%j · %j tA=%s tB=%s equals tfjs-cpu', async (sa, sb, ta, tb) => {
    await onBackend(backend);
    const ref = await onCpu(() => tf.tidy(() => tf.matMul(randn(sa, 1), randn(sb, 2), ta, tb)));
    await expectNoLeaks(() => {
      const a = randn(sa, 1);
      const b = randn(sb, 2);
      const y = tf.matMul(a, b, ta, tb);
      expect(compareClose(y.dataSync(), ref, 1e-4, 1e-4)).toBeNull();
      tf.dispose([a, b, y]);
    });
  });
});

const tr: [number[], number[]][] = [
  [[300, 200], [1, 0]],
  [[2, 3, 4, 5, 6], [2, 0, 3, 1, 4]],
  [[2, 3, 4, 5, 6], [4, 3, 2, 1, 0]],
  [[3, 4, 5], [0, 2, 1]],
  [[2, 3, 4, 5, 6, 2], [5, 0, 1, 3, 2, 4]],
  // SIMD paths: innermost swap (ragged 4×4 edges), kept innermost axis, batched swaps, int32 below.
  [[7, 13], [1, 0]],
  [[3, 9, 6], [0, 2, 1]],
  [[4, 5, 6, 7], [1, 0, 2, 3]],
  [[16, 64, 3, 4, 32], [2, 0, 3, 1, 4]],
  [[5, 1, 6], [2, 1, 0]],
  [[9], [0]],
];

describeEachBackend('transpose (wasm wrapper)', (backend) => {
  test.each(tr)('%j perm %j equals tfjs-cpu', async (shape, perm) => {
    await onBackend(backend);
    const ref = await onCpu(() => tf.tidy(() => tf.transpose(randn(shape, 3), perm)));
    const x = randn(shape, 3);
    const y = tf.transpose(x, perm);
    expect(Array.from(y.dataSync())).toEqual(Array.from(ref));
    tf.dispose([x, y]);
  });
});

describeEachBackend('transpose int32 (wasm wrapper)', (backend) => {
  test.each([[[7, 13], [1, 0]], [[3, 4, 5], [1, 0, 2]]] as [number[], number[]][])('%j perm %j is exact', async (shape, perm) => {
    await onBackend(backend);
    const x = tf.tidy(() => tf.cast(tf.mul(randn(shape, 2), 1000), 'int32'));
    const ref = await onCpu(() => tf.tidy(() => tf.cast(tf.transpose(tf.cast(tf.mul(randn(shape, 2), 1000), 'int32'), perm), 'float32')));
    const y = tf.transpose(x, perm);
    expect(y.dtype).toBe('int32');
    expect(Array.from(y.dataSync())).toEqual(Array.from(ref));
    tf.dispose([x, y]);
  });
});

test('transposeValues merges adjacent axes and matches a naive transpose', () => {
  const shape = [2, 3, 4, 5];
  const perm = [2, 3, 0, 1];
  const x = Float32Array.from({ length: 120 }, (_, i) => i);
  const out = new Float32Array(120);
  transposeValues(x, shape, perm, out);
  const naive: number[] = [];
  for (let c = 0; c < 4; c++) for (let d = 0; d < 5; d++) for (let a = 0; a < 2; a++) for (let b = 0; b < 3; b++) naive.push(((a * 3 + b) * 4 + c) * 5 + d);
  expect(Array.from(out)).toEqual(naive);
});

const red: [number[], number | number[], boolean][] = [
  [[40, 30], 0, false],
  [[4, 5, 6, 7], [0, 1, 2], false],
  [[4, 5, 6, 7], [2, 0, 1], true],
  [[4, 5, 6], -1, false],
  [[4, 5, 6], [0, 2], false],
  [[4, 5, 6], [0, 1, 2], false],
  // Column counts that exercise the SIMD kernel's 16-wide, 4-wide and scalar paths; one row.
  [[9, 1], 0, false],
  [[7, 3], 0, true],
  [[5, 17], 0, false],
  [[3, 6, 36], [0, 1], false],
  [[11, 53], 0, false],
  [[1, 53], 0, false],
];

describeEachBackend('sum and mean (wasm wrapper)', (backend) => {
  test.each(red)('%j over %j keepDims=%s equal tfjs-cpu', async (shape, axis, keepDims) => {
    await onBackend(backend);
    for (const op of [tf.sum, tf.mean]) {
      const ref = await onCpu(() => tf.tidy(() => op(randn(shape, 4), axis, keepDims)));
      const x = randn(shape, 4);
      const y = op(x, axis, keepDims);
      const refShape = await onCpu(() => tf.tidy(() => tf.tensor1d(op(randn(shape, 4), axis, keepDims).shape.concat([-1]))));
      expect(y.shape.concat([-1])).toEqual(Array.from(refShape));
      expect(compareClose(y.dataSync(), ref, 1e-5, 1e-5)).toBeNull();
      tf.dispose([x, y]);
    }
  });
});

describeEachBackend('leading-axis sum: float32 row-by-row order', (backend) => {
  test('equals a row-by-row float32 accumulation bit for bit', async () => {
    await onBackend(backend);
    const rows = 37;
    const cols = 53;
    const x = randn([rows, cols], 9);
    const v = x.dataSync() as Float32Array;
    const want = new Float32Array(cols);
    want.set(v.subarray(0, cols));
    for (let r = 1; r < rows; r++) for (let j = 0; j < cols; j++) want[j]! += v[r * cols + j]!;
    const y = tf.sum(x, 0);
    if (backend === 'wasm') expect(Array.from(y.dataSync())).toEqual(Array.from(want));
    else expect(compareClose(y.dataSync(), want, 1e-5, 1e-5)).toBeNull();
    tf.dispose([x, y]);
  });
});

describeEachBackend('clone shares data (wasm wrapper)', (backend) => {
  test('a clone outlives its source, the data is freed once, gradients are unchanged', async () => {
    await onBackend(backend);
    await expectNoLeaks(() => {
      const x = randn([64, 64], 1);
      const want = Array.from(x.dataSync());
      const y = tf.clone(x);
      // One buffer for both tensors (tfjs-wasm's own Identity copies).
      expect(y.dataId).toBe(x.dataId);
      x.dispose();
      expect(Array.from(y.dataSync())).toEqual(want);
      const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.exp(t), t)))(y);
      const ref = tf.tidy(() => tf.mul(tf.exp(y), tf.add(y, 1)));
      expect(compareClose(g.dataSync(), ref.dataSync(), 1e-5, 1e-5)).toBeNull();
      tf.dispose([y, g, ref]);
    });
  });
});

describe('batchNorm forward (wasm SIMD) equals tfjs-wasm bit for bit', () => {
  test.each([
    [[4, 9, 7, 32], 1e-5],
    [[3, 5, 6], 1e-3],
    [[1000, 13], 0.1],
  ] as [number[], number][])('x %j eps %f', async (shape, eps) => {
    await onBackend('wasm');
    const c = shape[shape.length - 1]!;
    const x = randn(shape, 1);
    const mean = randn([c], 2);
    const variance = tf.tidy(() => tf.abs(randn([c], 3)));
    const offset = randn([c], 4);
    const scale = randn([c], 5);
    const y = tf.batchNorm(x, mean, variance, offset, scale, eps);
    const got = Array.from(y.dataSync());
    removeWasmOverrides();
    try {
      const ref = tf.batchNorm(x, mean, variance, offset, scale, eps);
      expect(got).toEqual(Array.from(ref.dataSync()));
      ref.dispose();
    } finally {
      applyWasmOverrides();
    }
    tf.dispose([x, mean, variance, offset, scale, y]);
  });
});

describe('LEL SIMD GEMM equals XNNPACK bit for bit', () => {
  test.each([
    [[1024, 128], [128, 64]],
    [[37, 19], [19, 12]],
    [[300, 64], [64, 36]],
  ])('%j · %j', async (sa, sb) => {
    await onBackend('wasm');
    const a = randn(sa, 1);
    const b = randn(sb, 2);
    const y = tf.matMul(a, b);
    const got = Array.from(y.dataSync());
    removeWasmOverrides();
    try {
      const ref = tf.matMul(a, b);
      expect(got).toEqual(Array.from(ref.dataSync()));
      ref.dispose();
    } finally {
      applyWasmOverrides();
    }
    tf.dispose([a, b, y]);
  });
});

describe('LEL SIMD Conv2D equals XNNPACK bit for bit', () => {
  test.each([
    [[2, 9, 7, 16], [3, 3, 16, 8], 'same'],
    [[1, 6, 11, 20], [3, 3, 20, 12], 'valid'],
    [[3, 5, 5, 32], [5, 5, 32, 4], 'same'],
    [[2, 8, 9, 16], [2, 3, 16, 20], [[0, 0], [1, 2], [0, 3], [0, 0]]],
  ] as [number[], number[], 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]]][])('x %j filter %j pad %j', async (sx, sw, pad) => {
    await onBackend('wasm');
    const x = randn(sx, 1) as tf.Tensor4D;
    const w = randn(sw, 2) as tf.Tensor4D;
    const y = tf.conv2d(x, w, 1, pad);
    const got = { shape: y.shape, v: Array.from(y.dataSync()) };
    removeWasmOverrides();
    try {
      const ref = tf.conv2d(x, w, 1, pad);
      expect(got).toEqual({ shape: ref.shape, v: Array.from(ref.dataSync()) });
      ref.dispose();
    } finally {
      applyWasmOverrides();
    }
    tf.dispose([x, w, y]);
  });
});
