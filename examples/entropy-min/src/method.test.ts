import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { Rng } from '@lel/core';
import { describeMethodMatrix } from '@lel/core/testing';
import { describe, expect, test } from 'vitest';
import { EntropyMinClassifier } from './model';
import { entropyMinLoss } from './loss';
import { entropyMin, type EntropyMinData } from './method';
import { trainEntropyMin } from './train';

/** Two Gaussian blobs in 2-D: `n` labelled points of each class alternating. */
function blobs(n: number, rng: Rng): { x: Float32Array; y: Int32Array } {
  const x = new Float32Array(n * 2);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % 2;
    x[2 * i] = (y[i] ? 2 : -2) + rng.normal(0, 0.7);
    x[2 * i + 1] = rng.normal(0, 0.7);
  }
  return { x, y };
}

function tinyData(seed: number): EntropyMinData {
  const rng = new Rng(seed);
  const lab = blobs(8, rng);
  return { labeledX: lab.x, labeledY: lab.y, unlabeledX: blobs(16, rng).x, features: 2, numClasses: 2 };
}

// The shared method matrix: one step of the loss (leaks, frozen parameters, checkpoint round trip, finiteness,
// determinism), and the whole method through runMethod (named losses, leaks, determinism, bit-exact resume).
describeMethodMatrix([
  {
    name: 'entropy-min (first layer frozen)',
    setup: (seed) => {
      const rng = new Rng(seed);
      const model = new EntropyMinClassifier(5, 8, 3, rng);
      model.freeze(/^fc1\./);
      const x = rng.normalTensor([6, 5]);
      const y = tf.tensor1d([0, 1, 2, 0, 1, 2], 'int32');
      const u = rng.normalTensor([4, 5]);
      return { model, loss: () => entropyMinLoss(model.forward(x), y, model.forward(u), 0.5), dispose: () => tf.dispose([x, y, u]) };
    },
  },
  { name: 'entropy-min through runMethod', method: entropyMin, config: { steps: 4, batchSize: 4, hidden: 8, lr: 0.01 }, data: () => tinyData(1), steps: 4, resumeAt: 2 },
]);

describe('trainEntropyMin', () => {
  test('learns two Gaussian blobs from 8 labels and unlabelled data', async () => {
    const rng = new Rng(3);
    const lab = blobs(8, rng);
    const unl = blobs(128, rng);
    const test = blobs(200, rng);
    const { model, result } = await trainEntropyMin(
      { labeledX: lab.x, labeledY: lab.y, unlabeledX: unl.x, features: 2, numClasses: 2 },
      { steps: 60, batchSize: 8, lr: 0.02, hidden: 16 },
    );
    expect(Number.isFinite(result.lastLoss)).toBe(true);
    const pred = Array.from(tf.tidy(() => tf.argMax(model.forward(tf.tensor2d(test.x, [200, 2])), -1).dataSync()));
    const acc = pred.reduce((a, p, i) => a + (p === test.y[i] ? 1 : 0), 0) / 200;
    expect(acc).toBeGreaterThan(0.9);
    model.dispose();
  });

  test('bad data and config are refused naming the problem', async () => {
    const data = tinyData(2);
    await expect(trainEntropyMin({ ...data, labeledX: data.labeledX.subarray(1) })).rejects.toThrow(/labeledX has 15 values, expected 8 × 2/);
    await expect(trainEntropyMin(data, { unsupWeight: -1 })).rejects.toThrow(/unsupWeight/);
  });
});
