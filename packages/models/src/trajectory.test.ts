// Trajectory parity with PyTorch: full fine-tuning of a BERT classifier on core's `fit` with AdamW (weight-decay
// groups), linear warm-up and gradient clipping, against the float64 reference of reference/text/trajectory.py
// (same initial weights, same batches), on every installed backend.
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { AdamW, crossEntropy, fit, linearWithWarmup, useBackend, type NamedParameter } from '@lel/core';
import { compareTrajectory, maxAbsDiff, readTrajectoryFixture, describeBackends, trajectoryStepLimit, type TrajectoryDoc } from '@lel/core/testing';
import { expect, test } from 'vitest';
import { BertForSequenceClassification, WordPieceTokenizer, type BertConfig } from './index';

interface Doc extends TrajectoryDoc {
  config: Partial<BertConfig>;
  vocab: string[];
  texts: string[];
  labels: number[];
  batchSize: number;
  settings: { lr: number; warmupSteps: number; weightDecay: number; gradClipNorm: number };
}

// On webgpu (CI's lavapipe is a software Vulkan) only the first steps run: their losses are compared, not the final weights.
describeBackends('BERT fine-tuning trajectory vs PyTorch', (backend) => {
  test('AdamW with decay / no-decay groups, linear warm-up, clipping', async () => {
    await useBackend(backend as 'wasm' | 'cpu');
    const { doc, init } = readTrajectoryFixture<Doc>(join(import.meta.dirname, 'fixtures', 'trajectory-finetune-adamw'));
    const limit = trajectoryStepLimit(backend, doc.expected.losses.length);
    const full = limit === doc.expected.losses.length;
    const model = new BertForSequenceClassification(doc.config, { numLabels: 2 });
    model.loadStateDict(init);
    const tokenizer = new WordPieceTokenizer(doc.vocab);
    const params = model.trainableParameters();
    const noDecay = (n: string) => n.endsWith('.bias') || n.includes('LayerNorm');
    const s = doc.settings;
    const optimizer = new AdamW(
      [
        { params: params.filter(([n]) => !noDecay(n)) as NamedParameter[], weightDecay: s.weightDecay },
        { params: params.filter(([n]) => noDecay(n)) as NamedParameter[], weightDecay: 0 },
      ],
      { lr: s.lr },
    );
    const losses: number[] = [];
    const nb = doc.texts.length / doc.batchSize;
    try {
      await fit({
        model,
        optimizer,
        schedule: linearWithWarmup({ baseLr: s.lr, warmupSteps: s.warmupSteps, totalSteps: doc.steps }),
        gradClipNorm: s.gradClipNorm,
        epochs: doc.steps / nb,
        progress: 'none',
        data: {
          labeled: function* () {
            for (let b = 0; b < nb; b++) {
              const texts = doc.texts.slice(b * doc.batchSize, (b + 1) * doc.batchSize);
              const e = tokenizer.encodeBatch(texts);
              yield { inputIds: tf.tensor2d(e.inputIds, undefined, 'int32'), attentionMask: tf.tensor2d(e.attentionMask, undefined, 'int32'), labels: tf.tensor1d(doc.labels.slice(b * doc.batchSize, (b + 1) * doc.batchSize), 'int32') };
            }
          },
        },
        step: (b) => ({ total: crossEntropy(model.forward(b).logits, b.labels) as tf.Scalar }),
        callbacks: [{
            onStepEnd: (ctx, m) => {
              losses.push(m.loss!);
              if (losses.length >= limit && !full) ctx.requestStop('webgpu: first steps only');
            },
          }],
      });
      const { failures, worst } = compareTrajectory(losses, doc.expected.losses.slice(0, limit), { rtol: 1e-4 });
      expect(failures, `worst relative error ${worst}`).toEqual([]);
      if (full) for (const [param, want] of Object.entries(doc.expected.final!)) expect(maxAbsDiff(await model.getParameter(param).variable.data(), want), param).toBeLessThan(1e-3);
    } finally {
      optimizer.dispose();
      model.dispose();
      tf.dispose([...init.values()]);
    }
  }, 120_000);
}, { exclude: ['tensorflow'] });
