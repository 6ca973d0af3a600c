// Trajectory parity with PyTorch: SwaCallback (SWA and EMA, step-wise averaging from half-way) on core's `fit`
// while fine-tuning a BERT classifier with constant-lr AdamW, against the float64 reference of
// reference/text/trajectory.py (same initial weights and batches; the averaged weights are compared too).
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { AdamW, crossEntropy, fit, useBackend } from '@lel/core';
import { compareTrajectory, maxAbsDiff, readTrajectoryFixture, describeBackends, trajectoryStepLimit, type TrajectoryDoc } from '@lel/core/testing';
import { BertForSequenceClassification, WordPieceTokenizer, type BertConfig } from '@lel/models';
import { expect, test } from 'vitest';
import { SwaCallback, type SwaCallbackOptions } from './index';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const CASES = readdirSync(FIXTURES).filter((d) => d.startsWith('trajectory-'));

interface Doc extends TrajectoryDoc {
  config: Partial<BertConfig>;
  vocab: string[];
  texts: string[];
  labels: number[];
  batchSize: number;
  settings: { swa: SwaCallbackOptions; lr: number };
  expected: TrajectoryDoc['expected'] & { nAveraged: number; averagedLoss: number };
}

// On webgpu (CI's lavapipe is a software Vulkan) only the first steps run: their losses are compared, not the final weights.
describeBackends('SWA / EMA trajectories vs PyTorch', (backend) => {
  test.each(CASES)('%s', async (name) => {
    await useBackend(backend as 'wasm' | 'cpu');
    const { doc, init } = readTrajectoryFixture<Doc>(join(FIXTURES, name));
    const limit = trajectoryStepLimit(backend, doc.expected.losses.length);
    const full = limit === doc.expected.losses.length;
    const model = new BertForSequenceClassification(doc.config, { numLabels: 2 });
    model.loadStateDict(init);
    const tokenizer = new WordPieceTokenizer(doc.vocab);
    const optimizer = new AdamW(model.trainableParameters(), { lr: doc.settings.lr, weightDecay: 0 });
    const swa = new SwaCallback({ ...doc.settings.swa, totalUnits: doc.steps });
    const losses: number[] = [];
    const nb = doc.texts.length / doc.batchSize;
    const batch = (b: number) => {
      const e = tokenizer.encodeBatch(doc.texts.slice(b * doc.batchSize, (b + 1) * doc.batchSize));
      return { inputIds: tf.tensor2d(e.inputIds, undefined, 'int32'), attentionMask: tf.tensor2d(e.attentionMask, undefined, 'int32'), labels: tf.tensor1d(doc.labels.slice(b * doc.batchSize, (b + 1) * doc.batchSize), 'int32') };
    };
    try {
      await fit({
        model,
        optimizer,
        epochs: doc.steps / nb,
        progress: 'none',
        data: {
          labeled: function* () {
            for (let b = 0; b < nb; b++) yield batch(b);
          },
        },
        step: (b) => ({ total: crossEntropy(model.forward(b).logits, b.labels) as tf.Scalar }),
        callbacks: [swa, {
            onStepEnd: (ctx, m) => {
              losses.push(m.loss!);
              if (losses.length >= limit && !full) ctx.requestStop('webgpu: first steps only');
            },
          }],
      });
      const { failures, worst } = compareTrajectory(losses, doc.expected.losses.slice(0, limit), { rtol: 1e-4 });
      expect(failures, `worst relative error ${worst}`).toEqual([]);
      if (full) {
        expect(swa.averagedAt.length).toBe(doc.expected.nAveraged);
        // applyAtEnd: the model now holds the averaged weights.
        for (const [param, want] of Object.entries(doc.expected.final!)) expect(maxAbsDiff(await model.getParameter(param).variable.data(), want), param).toBeLessThan(1e-3);
        model.eval();
        const b0 = batch(0);
        const l = crossEntropy(model.forward(b0).logits, b0.labels);
        expect(Math.abs((await l.data())[0]! - doc.expected.averagedLoss)).toBeLessThan(1e-3 * Math.max(1, doc.expected.averagedLoss));
        tf.dispose([l, ...Object.values(b0)]);
      }
    } finally {
      optimizer.dispose();
      model.dispose();
      tf.dispose([...init.values()]);
    }
  }, 120_000);
}, { exclude: ['tensorflow'] });
