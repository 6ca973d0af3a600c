import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, test } from 'vitest';
import { useBackend } from '../backend';
import { expectNoLeaks } from '../testing/leaks';
import { testBackends } from '../testing/backends';
import { ConfusionMatrix } from './confusion-matrix';

describe.each(testBackends())('ConfusionMatrix [%s]', (backend) => {
  beforeAll(() => useBackend(backend as never));

  test('accumulates batches from tensors like from arrays, skipping ignoreIndex', async () => {
    const pred = [0, 1, 2, 2, 1, 0, 2, 1];
    const target = [0, 1, 255, 2, 0, 0, 1, 255];
    const a = new ConfusionMatrix(3, { ignoreIndex: 255 });
    a.add(pred.slice(0, 4), target.slice(0, 4)).add(pred.slice(4), target.slice(4));
    const b = new ConfusionMatrix(3, { ignoreIndex: 255 });
    await expectNoLeaks(async () => {
      const p = tf.tensor2d(pred, [2, 4], 'int32');
      const t = tf.tensor2d(target, [2, 4], 'int32');
      await b.add(p, t);
      tf.dispose([p, t]);
    });
    expect(b.matrix).toEqual(a.matrix);
    expect(a.matrix).toEqual([
      [2, 1, 0],
      [0, 1, 1],
      [0, 0, 1],
    ]);
    expect(a.numValid).toBe(6);
    expect(a.intersection()).toEqual([2, 1, 1]);
    expect(a.union()).toEqual([3, 3, 2]);
    expect(a.pixelAccuracy()).toBeCloseTo(4 / 6, 12);
    expect(a.miou('present')).toBeCloseTo((2 / 3 + 1 / 3 + 1 / 2) / 3, 12);
  });

  test('an absent class scores 0 in perClassIoU and counts in miou("all") only', () => {
    const cm = new ConfusionMatrix(3).add([0, 1], [0, 1]);
    expect(cm.perClassIoU()).toEqual([expect.closeTo(1, 12), expect.closeTo(1, 12), 0]);
    expect(cm.miou()).toBeCloseTo(2 / 3, 12);
    expect(cm.miou('present')).toBeCloseTo(1, 12);
    cm.reset();
    expect(cm.numValid).toBe(0);
    expect(cm.pixelAccuracy()).toBe(0);
    expect(cm.miou('present')).toBe(0);
  });

  test('rejects labels out of range, mismatched inputs and float tensors, leaving counts unchanged', async () => {
    const cm = new ConfusionMatrix(3, { ignoreIndex: 255 });
    expect(() => cm.add([0, 1], [0, 3])).toThrow(/target\[1\] = 3 is outside \[0, 3\)/);
    expect(() => cm.add([0, -1], [0, 1])).toThrow(/pred\[1\] = -1/);
    expect(() => cm.add([0], [0, 1])).toThrow(/"pred" has 1 values but "target" has 2/);
    expect(cm.numValid).toBe(0);
    const p = tf.tensor1d([0, 5, 1], 'int32');
    const good = tf.tensor1d([0, 1, 2], 'int32');
    const t = tf.tensor1d([0, 1, 4], 'int32');
    const f = tf.tensor1d([0, 1, 1], 'float32');
    const q = tf.tensor1d([0, 1], 'int32');
    await expectNoLeaks(async () => {
      await expect(cm.add(good, t)).rejects.toThrow(/target\[2\] = 4 is outside \[0, 3\)/);
      await expect(cm.add(p, good)).rejects.toThrow(/pred\[1\] = 5 is outside \[0, 3\)/);
      await expect(cm.add(f, t)).rejects.toThrow(/"pred" must be an int32 tensor/);
      await expect(cm.add(q, t)).rejects.toThrow(/"pred" has shape \[2\] but "target" has shape \[3\]/);
      await expect(cm.add(good, [0, 1, 2])).rejects.toThrow(/both be tensors or both be arrays/);
    });
    tf.dispose([p, good, t, f, q]);
    expect(cm.numValid).toBe(0);
    expect(() => new ConfusionMatrix(0)).toThrow(/numClasses must be a positive integer/);
  });
});
