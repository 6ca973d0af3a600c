// Trajectory parity with PyTorch: VIBERT's sampled head (the fixture's ε every step) with β annealed per epoch,
// AdamW, linear decay and clipping on core's `fit`, against the float64 reference of reference/text/trajectory.py.
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { AdamW, fit, linearWithWarmup, useBackend } from '@lel/core';
import { compareTrajectory, maxAbsDiff, readTrajectoryFixture, testBackends, type TrajectoryDoc, type TrajectoryTensor } from '@lel/core/testing';
import { WordPieceTokenizer, type BertConfig } from '@lel/models';
import { describe, expect, test } from 'vitest';
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

describe.each(testBackends().filter((b) => b !== 'tensorflow'))('VIBERT trajectory vs PyTorch (%s)', (backend) => {
  test('sampled head, annealed β, AdamW, linear decay, clipping', async () => {
    await useBackend(backend as 'wasm' | 'cpu');
    const { doc, init } = readTrajectoryFixture<Doc>(join(import.meta.dirname, 'fixtures', 'trajectory-vib'));
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
        callbacks: [{ onStepEnd: (_ctx, m) => void losses.push(m.loss!) }],
      });
      const { failures, worst } = compareTrajectory(losses, doc.expected.losses, { rtol: 1e-4 });
      expect(failures, `worst relative error ${worst}`).toEqual([]);
      for (const [param, want] of Object.entries(doc.expected.final!)) expect(maxAbsDiff(await model.getParameter(param).variable.data(), want), param).toBeLessThan(1e-3);
    } finally {
      optimizer.dispose();
      model.dispose();
      tf.dispose([...init.values()]);
    }
  }, 120_000);
});
