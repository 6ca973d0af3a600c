import * as tf from '@tensorflow/tfjs-core';
import { expect, test } from 'vitest';
import { expectNoLeaks } from '../../testing/leaks';
import { useBackend } from '../../backend';
import { describeEachBackend, onBackend, randn } from '../test-util.fixture';
import { splitSizes } from './copy-kernels';

const values = (t: tf.Tensor) => Array.from(t.dataSync());
/** Run `fn` on tfjs-cpu (the reference) and return plain values; tensors made there are disposed. */
async function onCpu<T>(fn: () => T): Promise<T> {
  const prev = tf.getBackend();
  await useBackend('cpu');
  try {
    const out: T[] = [];
    tf.tidy(() => {
      out.push(fn());
    });
    return out[0]!;
  } finally {
    await useBackend(prev as never);
  }
}
const ints = (shape: number[]) => tf.tidy(() => tf.cast(tf.mul(randn(shape, 5), 100), 'int32'));

describeEachBackend('split / concat / unstack (wasm block copies)', (backend) => {
  const splits: [number[], number | number[], number][] = [
    [[2, 3, 4, 6], [2, 4], -1],
    [[2, 3, 4, 6], 3, 3],
    [[2, 3, 4, 6], [1, -1], 1],
    [[6, 5], [0, 6], 0],
    [[4, 5, 7], [3, 1, 3], 2],
  ];
  test.each(splits)('split %j by %j on axis %i equals tfjs-cpu (float32 and int32)', async (shape, how, axis) => {
    await onBackend(backend);
    for (const make of [(s: number[]) => randn(s, 4), ints]) {
      const ref = await onCpu(() => tf.split(make(shape), how, axis).map((t) => ({ shape: t.shape, v: Array.from(t.dataSync()) })));
      await expectNoLeaks(() => {
        const x = make(shape);
        const parts = tf.split(x, how, axis);
        expect(parts.map((t) => ({ shape: t.shape, v: values(t) }))).toEqual(ref);
        tf.dispose([x, ...parts]);
      });
    }
  });

  const concats: [number[][], number][] = [
    [[[2, 3, 4], [2, 3, 5]], 2],
    [[[2, 3, 4], [2, 1, 4], [2, 0, 4]], 1],
    [[[1, 4], [3, 4]], 0],
    [[[16, 8, 8, 5], [16, 8, 8, 3]], -1],
  ];
  test.each(concats)('concat %j on axis %i equals tfjs-cpu (float32 and int32)', async (shapes, axis) => {
    await onBackend(backend);
    for (const make of [(s: number[], i: number) => randn(s, 10 + i), (s: number[]) => ints(s)]) {
      const ref = await onCpu(() => {
        const y = tf.concat(shapes.map((s, i) => make(s, i)), axis);
        return { shape: y.shape, v: Array.from(y.dataSync()) };
      });
      await expectNoLeaks(() => {
        const xs = shapes.map((s, i) => make(s, i));
        const y = tf.concat(xs, axis);
        expect({ shape: y.shape, v: values(y) }).toEqual(ref);
        tf.dispose([...xs, y]);
      });
    }
  });

  test.each([0, 1, 3])('unstack [3, 4, 2, 5] on axis %i equals tfjs-cpu', async (axis) => {
    await onBackend(backend);
    const ref = await onCpu(() => tf.unstack(randn([3, 4, 2, 5], 6), axis).map((t) => ({ shape: t.shape, v: Array.from(t.dataSync()) })));
    const x = randn([3, 4, 2, 5], 6);
    const parts = tf.unstack(x, axis);
    expect(parts.map((t) => ({ shape: t.shape, v: values(t) }))).toEqual(ref);
    tf.dispose([x, ...parts]);
  });

  test('gradients through concat and split are exact copies', async () => {
    await onBackend(backend);
    const a = randn([2, 3, 4], 1);
    const b = randn([2, 3, 2], 2);
    const w = randn([2, 3, 6], 3);
    const [ga, gb] = tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.mul(tf.concat([p, q], 2), w)))([a, b]);
    const [wa, wb] = tf.split(w, [4, 2], 2);
    expect(values(ga!)).toEqual(values(wa!));
    expect(values(gb!)).toEqual(values(wb!));
    tf.dispose([a, b, w, ga!, gb!, wa!, wb!]);
  });
});

test('splitSizes resolves counts and one -1', () => {
  expect(splitSizes(6, 3)).toEqual([2, 2, 2]);
  expect(splitSizes(7, [2, -1, 1])).toEqual([2, 4, 1]);
  expect(() => splitSizes(7, 2)).toThrow(/not divisible/);
});

describeEachBackend('gather (wasm block copies)', (backend) => {
  const cases: [number[], number[], number[], number][] = [
    [[10, 4], [3, 0, 9, 3], [4], 0],
    [[5, 6, 3], [5, 0, 2], [3], 1],
    [[4, 3, 7], [6, 1, 0, 2], [2, 2], 2],
    [[6, 8], [], [0], 0],
  ];
  test.each(cases)('x %j indices %j (shape %j) on axis %i equals tfjs-cpu', async (shape, idx, idxShape, axis) => {
    await onBackend(backend);
    for (const make of [(s: number[]) => randn(s, 4), ints]) {
      const ref = await onCpu(() => {
        const y = tf.gather(make(shape), tf.tensor(idx, idxShape, 'int32'), axis);
        return { shape: y.shape, v: Array.from(y.dataSync()) };
      });
      await expectNoLeaks(() => {
        const x = make(shape);
        const i = tf.tensor(idx, idxShape, 'int32');
        const y = tf.gather(x, i, axis);
        expect({ shape: y.shape, v: values(y) }).toEqual(ref);
        tf.dispose([x, i, y]);
      });
    }
  });

  test('an out-of-range index is an error naming it, and nothing leaks', async () => {
    await onBackend(backend);
    await expectNoLeaks(() => {
      const x = randn([5, 3], 1);
      const i = tf.tensor1d([1, 5], 'int32');
      expect(() => tf.gather(x, i)).toThrow(/index value 5 is not in \[0, 4\]/);
      tf.dispose([x, i]);
    });
  });
});
