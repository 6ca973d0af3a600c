import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { expectNoLeaks } from '@lel/core/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { toImageBatch, toSegmentationBatch } from './batches';
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
