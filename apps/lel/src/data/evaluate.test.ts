import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { headOfPart, segmentationConfusion } from './evaluate';
import { resolveImageData } from './image-data';
import { SegmentationData } from './sections';

await tf.setBackend('cpu');

describe('evaluation over a streamed part', () => {
  it('accumulates the confusion matrix batch by batch and frees every tensor', async () => {
    const data = await resolveImageData(SegmentationData.parse({ labelled: { source: 'digit-scenes', n: 4, heldOut: 5 }, size: 16 }), 'segmentation');
    const before = tf.memory().numTensors;
    // A "model" that predicts background everywhere: its confusion row sums are the pixel counts of each class.
    const cm = await segmentationConfusion(data, 'dev', 11, (x) => tf.concat([tf.onesLike(tf.slice(x, [0, 0, 0, 0], [-1, -1, -1, 1])), tf.zerosLike(tf.tile(tf.slice(x, [0, 0, 0, 0], [-1, -1, -1, 1]), [1, 1, 1, 10]))], 3) as tf.Tensor4D, 2);
    expect(tf.memory().numTensors).toBe(before);
    const total = cm.matrix.flat().reduce((a, b) => a + b, 0);
    const head = await headOfPart(data, 'dev', 5);
    const masks = Array.from(await head.labels!.data());
    tf.dispose([head.images, head.labels!]);
    expect(tf.memory().numTensors).toBe(before);
    expect(total).toBe(masks.filter((v) => v !== 255).length);
    expect(cm.matrix.every((row) => row.slice(1).every((v) => v === 0))).toBe(true);
    expect(cm.matrix[0]![0]).toBe(masks.filter((v) => v === 0).length);
  });
});
