import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { Rng } from '@lel/core';
import { epochBatches, imageSet, labelledBatches, randomHorizontalFlip, segmentationSet, type ImageBatch, type SegmentationBatch, type StreamingSet } from './data';

await tf.setBackend('cpu');

const n = 7;
const h = 2;
const w = 3;
/** Sample i: image values i·10 + pixel, mask value i % 4. */
const arrays = {
  images: Float32Array.from({ length: n * h * w * 3 }, (_, k) => Math.floor(k / (h * w * 3)) * 10 + (k % (h * w * 3))),
  masks: Int32Array.from({ length: n * h * w }, (_, k) => Math.floor(k / (h * w)) % 4),
  n,
  height: h,
  width: w,
  channels: 3,
  numClasses: 4,
};

/**
 * A streaming set over the same arrays; `ahead` index batches are pulled before the first is loaded (a loader that
 * prefetches), and its generator draws a number per batch (as random crops would).
 */
function streaming(ahead: number, labels: boolean): StreamingSet<SegmentationBatch> & { loaded: number[][] } {
  const loaded: number[][] = [];
  return {
    size: n,
    loaded,
    async *batches(indexBatches, rng) {
      const it = indexBatches[Symbol.iterator]();
      const queue: number[][] = [];
      const draws: number[] = [];
      for (;;) {
        while (queue.length < 1 + ahead) {
          const r = it.next();
          if (r.done) break;
          queue.push([...r.value]);
          draws.push(rng.next());
        }
        const idx = queue.shift();
        if (!idx) return;
        loaded.push(idx);
        const set = labels ? segmentationSet(arrays, idx) : { ...imageSet(arrays, idx), labels: undefined as unknown as tf.Tensor3D };
        await new Promise((r) => setTimeout(r, 1));
        yield set as SegmentationBatch;
      }
    },
  };
}

async function drain<B extends ImageBatch>(it: Iterable<B> | AsyncIterable<B>): Promise<{ images: number[][]; labels: number[][] | undefined }> {
  const images: number[][] = [];
  const labels: number[][] = [];
  let hasLabels = false;
  for await (const b of it as AsyncIterable<B & { labels?: tf.Tensor3D }>) {
    images.push(Array.from(await b.images.data()));
    if (b.labels) {
      hasLabels = true;
      labels.push(Array.from(await b.labels.data()));
    }
    tf.dispose([b.images, ...(b.labels ? [b.labels] : [])]);
  }
  return { images, labels: hasLabels ? labels : undefined };
}

describe('CCT data', () => {
  it('an unlabelled image set needs no masks: its batches carry images only, flipped like labelled ones', async () => {
    const set = imageSet(arrays);
    expect(Object.keys(set)).toEqual(['images']);
    const before = tf.memory().numTensors;
    const out = await drain(epochBatches(set, 3, new Rng(5)));
    expect(out.labels).toBeUndefined();
    expect(out.images.length).toBe(3);
    const labelled = await drain(epochBatches(segmentationSet(arrays), 3, new Rng(5)));
    expect(out.images).toEqual(labelled.images); // same order and flips as the labelled set of the same images
    expect(tf.memory().numTensors).toBeLessThanOrEqual(before + 2); // the two sets' own tensors
  });

  it('a streamed epoch pass gives the in-memory pass\'s batches step for step (order and flips)', async () => {
    for (const ahead of [0, 3]) {
      const streamed = await drain(epochBatches(streaming(ahead, true), 3, new Rng('same'), randomHorizontalFlip));
      const memory = await drain(epochBatches(segmentationSet(arrays), 3, new Rng('same'), randomHorizontalFlip));
      expect(streamed).toEqual(memory);
    }
  });

  it('a streaming set gives the same batches however far ahead it loads, for epoch and cycling labelled streams', async () => {
    for (const make of [(s: StreamingSet<SegmentationBatch>, rng: Rng) => epochBatches(s, 3, rng), (s: StreamingSet<SegmentationBatch>, rng: Rng) => labelledBatches(s, 3, 5, rng, randomHorizontalFlip)]) {
      const lazy = streaming(0, true);
      const eager = streaming(4, true);
      const a = await drain(make(lazy, new Rng('e1')));
      const b = await drain(make(eager, new Rng('e1')));
      expect(b).toEqual(a);
      expect(eager.loaded).toEqual(lazy.loaded);
      expect(new Set(lazy.loaded.flat()).size).toBe(n); // every sample is visited
    }
    const labelled = streaming(1, true);
    await drain(labelledBatches(labelled, 3, 5, new Rng(2)));
    expect(labelled.loaded.map((b) => b.length)).toEqual([3, 3, 3, 3, 3]); // full batches across passes
  });

  it('streams unlabelled batches without labels', async () => {
    const out = await drain(epochBatches(streaming(2, false) as unknown as StreamingSet<ImageBatch>, 4, new Rng(0)));
    expect([out.images.length, out.labels]).toEqual([2, undefined]);
  });
});
