// Trajectory parity with PyTorch: VIBERT's sampled head (the fixture's ε every step) with β annealed per epoch,
// AdamW, linear decay and clipping on core's `fit`, against the float64 reference of reference/text/trajectory.py.
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { AdamW, fit, linearWithWarmup, useBackend } from '@lel/core';
import { compareTrajectory, maxAbsDiff, readTrajectoryFixture, describeBackends, trajectoryStepLimit, type TrajectoryDoc, type TrajectoryTensor } from '@lel/core/testing';
import { WordPieceTokenizer, type BertConfig } from '@lel/models';
import { expect, test } from 'vitest';
import { vibBert } from './classifier';
import { vibLoss } from './vib-loss';

interface Doc extends TrajectoryDoc {
  config: Partial<BertConfig>;
  vocab: string[];
  texts: string[];
  labels: number[];
  batchSize: number;
  eps: TrajectoryTensor[];
  settings: { ibDim: number; sampleSize: number; beta: number; lr: number; gradClipNorm: number };
}

// On webgpu (CI's lavapipe is a software Vulkan) only the first steps run: their losses are compared, not the final weights.
describeBackends('VIBERT trajectory vs PyTorch', (backend) => {
  test('sampled head, annealed β, AdamW, linear decay, clipping', async () => {
    await useBackend(backend as 'wasm' | 'cpu');
    const { doc, init } = readTrajectoryFixture<Doc>(join(import.meta.dirname, 'fixtures', 'trajectory-vib'));
    const limit = trajectoryStepLimit(backend, doc.expected.losses.length);
    const full = limit === doc.expected.losses.length;
    const s = doc.settings;
    const model = vibBert(doc.config, 2, { head: { ibDim: s.ibDim, sampleSize: s.sampleSize } });
    model.loadStateDict(init);
    const tokenizer = new WordPieceTokenizer(doc.vocab);
    const optimizer = new AdamW(model.trainableParameters(), { lr: s.lr, weightDecay: 0 });
    const losses: number[] = [];
    const nb = doc.texts.length / doc.batchSize;
    try {
      await fit({
        model,
        optimizer,
        schedule: linearWithWarmup({ baseLr: s.lr, warmupSteps: 0, totalSteps: doc.steps }),
        gradClipNorm: s.gradClipNorm,
        epochs: doc.steps / nb,
        progress: 'none',
        data: {
          labeled: function* () {
            for (let b = 0; b < nb; b++) {
              const e = tokenizer.encodeBatch(doc.texts.slice(b * doc.batchSize, (b + 1) * doc.batchSize));
              yield { inputIds: tf.tensor2d(e.inputIds, undefined, 'int32'), attentionMask: tf.tensor2d(e.attentionMask, undefined, 'int32'), labels: tf.tensor1d(doc.labels.slice(b * doc.batchSize, (b + 1) * doc.batchSize), 'int32') };
            }
          },
        },
        step: (b, ctx) => {
          const eps = tf.tensor(doc.eps[ctx.step]!.data, doc.eps[ctx.step]!.shape);
          const out = model.forward(b, { eps });
          const r = vibLoss(out, b.labels, { beta: s.beta, epoch: ctx.epoch + 1 });
          return { total: r.total };
        },
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
