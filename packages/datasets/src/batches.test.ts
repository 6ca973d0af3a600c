import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@lel/core';
import { expectNoLeaks } from '@lel/core/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { batches, toImageBatch, toSegmentationBatch } from './batches';
import type { ImageClassificationData, SegmentationData } from './types';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

// 4 images of 2×2×1 whose pixels are 10·i + p, labels 3 − i.
const images: ImageClassificationData = {
  images: Float32Array.from({ length: 16 }, (_, k) => 10 * Math.floor(k / 4) + (k % 4)),
  labels: Int32Array.from([3, 2, 1, 0]),
  n: 4, height: 2, width: 2, channels: 1, classNames: ['a', 'b', 'c', 'd'],
};

describe('toImageBatch / toSegmentationBatch', () => {
  it('gathers the requested samples in order into NHWC float32 and int32 tensors', async () => {
    await expectNoLeaks(async () => {
      const { x, y } = toImageBatch(images, [2, 0]);
      expect(x.shape).toEqual([2, 2, 2, 1]);
      expect(x.dtype).toBe('float32');
      expect(y.dtype).toBe('int32');
      expect(Array.from(await x.data())).toEqual([20, 21, 22, 23, 0, 1, 2, 3]);
      expect(Array.from(await y.data())).toEqual([1, 3]);
      tf.dispose([x, y]);
    });
    expect(() => toImageBatch(images, [4])).toThrow(/index 4 is outside \[0, 4\)/);
  });

  it('gathers masks as [B, H, W] int32', async () => {
    const seg: SegmentationData = { images: images.images, masks: Int32Array.from({ length: 16 }, (_, k) => (k % 5 === 0 ? 255 : k % 3)), n: 4, height: 2, width: 2, channels: 1, numClasses: 3, classNames: ['a', 'b', 'c'] };
    const { x, y } = toSegmentationBatch(seg, [3]);
    expect(y.shape).toEqual([1, 2, 2]);
    expect(y.dtype).toBe('int32');
    expect(Array.from(await y.data())).toEqual([0, 1, 2, 255]);
    tf.dispose([x, y]);
  });
});

describe('batches', () => {
  const idx = Array.from({ length: 10 }, (_, i) => i + 100);
  it('covers every index once per epoch, shuffled by the rng', () => {
    const out = [...batches(idx, 4, new Rng(1))];
    expect(out.map((b) => b.length)).toEqual([4, 4, 2]);
    expect(out.flat().sort()).toEqual(idx);
    expect(out.flat()).not.toEqual(idx);
    expect([...batches(idx, 4, new Rng(1))]).toEqual(out);
  });

  it('keeps order without shuffling and drops the last short batch on request', () => {
    expect([...batches(idx, 4, new Rng(0), { shuffle: false, dropLast: true })]).toEqual([idx.slice(0, 4), idx.slice(4, 8)]);
    expect(() => [...batches(idx, 0, new Rng(0))]).toThrow(/batchSize must be a positive integer/);
  });
});
