import * as tf from '@tensorflow/tfjs-core';
import { expect, test } from 'vitest';
import { im2colInfo, im2colT, im2colTranspose, type Im2ColAttrs } from './im2col';
import { describeEachBackend, onBackend, randn } from './test-util.fixture';

const cases: [string, number[], Im2ColAttrs][] = [
  ['3×3 same', [2, 7, 9, 5], { filterShape: [3, 3, 5, 4], strides: 1, pad: 'same', dilations: 1 }],
  ['3×3 valid stride 2', [2, 9, 8, 6], { filterShape: [3, 3, 6, 4], strides: 2, pad: 'valid', dilations: 1 }],
  ['2×3 explicit pad, dilation 2', [1, 8, 10, 3], { filterShape: [2, 3, 3, 2], strides: 1, pad: [[0, 0], [1, 2], [0, 3], [0, 0]], dilations: 2 }],
  ['5×5 same stride (2,1)', [3, 11, 6, 8], { filterShape: [5, 5, 8, 1], strides: [2, 1], pad: 'same', dilations: 1 }],
  ['1×1', [2, 4, 4, 17], { filterShape: [1, 1, 17, 3], strides: 1, pad: 'valid', dilations: 1 }],
];

describeEachBackend('im2colT kernel', (backend) => {
  test.each(cases)('%s equals the reference gather exactly', async (_name, shape, attrs) => {
    await onBackend(backend);
    const x = randn(shape, 7) as tf.Tensor4D;
    const info = im2colInfo(shape, attrs);
    const want = new Float32Array(info.filterHeight * info.filterWidth * info.inChannels * info.batchSize * info.outHeight * info.outWidth);
    im2colT(x.dataSync() as Float32Array, shape, info, want);
    const got = im2colTranspose(x, attrs);
    expect(got.shape).toEqual([info.filterHeight * info.filterWidth * info.inChannels, info.batchSize * info.outHeight * info.outWidth]);
    expect(Array.from(got.dataSync())).toEqual(Array.from(want));
    tf.dispose([x, got]);
  });
});
