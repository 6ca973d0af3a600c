// The example of TRAINING.md (the @lel/core README section), run as written except for the import path,
// the run folder and `progress: 'none'` (quiet test logs), so the documentation cannot drift from the API.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { expect, test } from 'vitest';
import { useBackend } from '../backend';
import { cosineWithWarmup, crossEntropy, fit, Linear, readScalar, Rng, SGD, type DataSource } from '../index';
import { readJsonl } from '../node';
// Node's host (run folders, checkpoints): @lel/core installs it in Node; these tests import the modules directly.
import '../node';

test('TRAINING.md example: train a tiny classifier with logging, then resume it', async () => {
  await useBackend('wasm');
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lel-example-'));

  // --- example (TRAINING.md) ---
  // 64 points in 2-D, two classes; each epoch reshuffles with its own seeded generator.
  const gen = new Rng(0);
  const xs = gen.normalArray(64 * 2);
  const ys = Array.from({ length: 64 }, (_, i) => (xs[2 * i]! + xs[2 * i + 1]! > 0 ? 1 : 0));
  type Batch = { x: tf.Tensor2D; y: tf.Tensor1D };
  const data: DataSource<Batch> = function* (_epoch, rng) {
    const order = rng.permutation(64);
    for (let i = 0; i < 64; i += 16) {
      const idx = order.slice(i, i + 16);
      yield { x: tf.tensor2d(idx.flatMap((r) => [xs[2 * r]!, xs[2 * r + 1]!]), [16, 2]), y: tf.tensor1d(idx.map((r) => ys[r]!), 'int32') };
    }
  };

  async function train(extra: { maxSteps?: number; resume?: 'last'; progress?: 'none' } = {}) {
    const model = new Linear(2, 2, { rng: new Rng(1) });
    const accuracy = () =>
      readScalar(
        tf.tidy(() => {
          const logits = model.forward(tf.tensor2d(xs, [64, 2]));
          return tf.mean(tf.cast(tf.equal(tf.argMax(logits, 1), tf.tensor1d(ys, 'int32')), 'float32'));
        }),
        { dispose: true },
      );
    const result = await fit({
      model,
      optimizer: new SGD(model.trainableParameters(), { lr: 0.5, momentum: 0.9 }),
      schedule: cosineWithWarmup({ baseLr: 0.5, warmupSteps: 4, totalSteps: 40 }),
      data: { labeled: data },
      step: (b) => ({ total: crossEntropy(model.forward(b.x), b.y) as tf.Scalar }),
      epochs: 10, // 4 batches per epoch: 40 steps
      evaluate: async () => ({ acc: await accuracy() }),
      runDir, // metrics.jsonl, config.json, checkpoints/
      config: { lr: 0.5, epochs: 10 }, // saved as config.json; its hash guards resume
      checkpoint: { every: { epochs: 2 }, keepLast: 2, best: { metric: 'acc', mode: 'max' } },
      logEvery: 4,
      ...extra,
    });
    model.dispose();
    return result;
  }

  await train({ maxSteps: 18, progress: 'none' }); // pretend the job was pre-empted after 18 steps
  const result = await train({ resume: 'last', progress: 'none' }); // continues bit-exactly from the last checkpoint (step 18)
  // --- end of example ---

  expect(result.resumedFrom).toMatch(/step-000018$/);
  expect(result.steps).toBe(40);
  expect(result.best).toEqual({ metric: 'acc', value: 1, step: 4, checkpoint: path.join(runDir, 'checkpoints', 'step-000004') }); // as TRAINING.md says
  const records = readJsonl(path.join(runDir, 'metrics.jsonl'));
  expect(records.filter((r) => r.type === 'train').map((r) => r.step)).toEqual([4, 8, 12, 16, 20, 24, 28, 32, 36, 40]);
  expect(records.filter((r) => r.type === 'eval')).toHaveLength(10);
  expect(fs.readdirSync(path.join(runDir, 'checkpoints')).sort()).toContain('best');
  fs.rmSync(runDir, { recursive: true, force: true });
});
