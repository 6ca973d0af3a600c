// Trajectory parity with PyTorch: @lel/distill's recipe (KD, Annealing-KD, Continuation-KD with their per-epoch
// schedules) on a BERT student with given teacher logits, against the float64 reference of
// reference/text/trajectory.py (same initial weights, batches and teacher logits), on every installed backend.
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { AdamW, useBackend } from '@lel/core';
import { compareTrajectory, maxAbsDiff, readTrajectoryFixture, describeBackends, trajectoryStepLimit, type TrajectoryDoc, type TrajectoryTensor } from '@lel/core/testing';
import { BertForSequenceClassification, WordPieceTokenizer, type BertConfig } from '@lel/models';
import { expect, test } from 'vitest';
import type { DistillMethodInput } from './config';
import { distill } from './recipe';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const CASES = readdirSync(FIXTURES).filter((d) => d.startsWith('trajectory-'));

interface Doc extends TrajectoryDoc {
  config: Partial<BertConfig>;
  vocab: string[];
  texts: string[];
  labels: number[];
  batchSize: number;
  teacherLogits: TrajectoryTensor[];
  settings: { method: DistillMethodInput; epochs: number; lr: number };
}

interface Batch {
  inputIds: tf.Tensor;
  attentionMask: tf.Tensor;
  labels: tf.Tensor;
  teacher: tf.Tensor;
}

// On webgpu (CI's lavapipe is a software Vulkan) only the first steps run: their losses are compared, not the final weights.
describeBackends('distillation trajectories vs PyTorch', (backend) => {
  test.each(CASES)('%s', async (name) => {
    await useBackend(backend as 'wasm' | 'cpu');
    const { doc, init } = readTrajectoryFixture<Doc>(join(FIXTURES, name));
    const limit = trajectoryStepLimit(backend, doc.expected.losses.length);
    const full = limit === doc.expected.losses.length;
    const student = new BertForSequenceClassification(doc.config, { numLabels: 2 });
    student.loadStateDict(init);
    const tokenizer = new WordPieceTokenizer(doc.vocab);
    const optimizer = new AdamW(student.trainableParameters(), { lr: doc.settings.lr, weightDecay: 0 });
    const losses: number[] = [];
    const nb = doc.texts.length / doc.batchSize;
    try {
      await distill<Batch>({
        student,
        method: doc.settings.method,
        teacher: { numClasses: 2, logits: (b) => tf.clone(b.teacher) as tf.Tensor2D },
        studentLogits: (m, b) => (m as BertForSequenceClassification).forward(b).logits,
        labels: (b) => b.labels,
        epochs: doc.settings.epochs,
        optimizer,
        progress: 'none',
        data: {
          labeled: function* () {
            for (let b = 0; b < nb; b++) {
              const e = tokenizer.encodeBatch(doc.texts.slice(b * doc.batchSize, (b + 1) * doc.batchSize));
              const t = doc.teacherLogits[b]!;
              yield {
                inputIds: tf.tensor2d(e.inputIds, undefined, 'int32'),
                attentionMask: tf.tensor2d(e.attentionMask, undefined, 'int32'),
                labels: tf.tensor1d(doc.labels.slice(b * doc.batchSize, (b + 1) * doc.batchSize), 'int32'),
                teacher: tf.tensor2d(t.data, t.shape as [number, number]),
              };
            }
          },
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
      if (full) for (const [param, want] of Object.entries(doc.expected.final!)) expect(maxAbsDiff(await student.getParameter(param).variable.data(), want), param).toBeLessThan(1e-3);
    } finally {
      optimizer.dispose();
      student.dispose();
      tf.dispose([...init.values()]);
    }
  }, 120_000);
}, { exclude: ['tensorflow'] });
