import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { settleDeviceChecks, useBackend } from '@lel/core';
import { beforeAll, describe, expect, test } from 'vitest';
import { validateLabels } from './cross-entropy';

beforeAll(async () => {
  await useBackend('cpu');
});

describe('validateLabels', () => {
  test('accepts labels in [0, C) and the ignore index; names the first bad value and its index', async () => {
    tf.tidy(() => {
      expect(() => validateLabels(tf.tensor3d([[[0, 2], [255, 1]]], undefined, 'int32'), 3)).not.toThrow();
      expect(() => validateLabels(tf.tensor3d([[[0, 2], [3, 7]]], undefined, 'int32'), 3, 255, 'cctLoss labels')).toThrow(
        /cctLoss labels: label 3 at flat index 2 is outside \[0, 3\) and is not the ignore index 255; set numClasses/,
      );
      expect(() => validateLabels(tf.tensor1d([-1, 0], 'int32'), 3)).toThrow(/label -1 at flat index 0/);
      expect(() => validateLabels(tf.tensor1d([0, 1.5, 1]), 3)).toThrow(/label 1.5 at flat index 1/);
      expect(() => validateLabels(tf.tensor1d([0, 1, 255]), 3)).not.toThrow();
    });
    await settleDeviceChecks();
  });
});
