// Trajectory parity with PyTorch: @lel/peft's fine-tuning recipe on PEFT-wrapped BERTs against the float64
// reference of reference/text/trajectory.py (same initial weights and adapter values, same batches), on every
// installed backend. Regenerate the fixtures with `/usr/bin/python3 reference/text/trajectory.py`.
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@lel/core';
import { compareTrajectory, maxAbsDiff, readTrajectoryFixture, describeBackends, trajectoryStepLimit, type TrajectoryDoc } from '@lel/core/testing';
import { BertForSequenceClassification, WordPieceTokenizer, type BertConfig } from '@lel/models';
import { expect, test } from 'vitest';
import { applyPeft, fineTuneSequenceClassification, type PeftConfig } from './index';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const CASES = readdirSync(FIXTURES).filter((d) => d.startsWith('trajectory-'));

interface PeftDoc extends TrajectoryDoc {
  config: Partial<BertConfig>;
  vocab: string[];
  texts: string[];
  labels: number[];
  batchSize: number;
  settings: { peft: PeftConfig; lr: number; weightDecay: number; gradClipNorm: number; epochs: number; trainable: string[] };
}

// On webgpu (CI's lavapipe is a software Vulkan) only the first steps run: their losses are compared, not the final weights.
describeBackends('PEFT fine-tuning trajectories vs PyTorch', (backend) => {
  test.each(CASES)('%s', async (name) => {
    await useBackend(backend as 'wasm' | 'cpu');
    const { doc, init } = readTrajectoryFixture<PeftDoc>(join(FIXTURES, name));
    const limit = trajectoryStepLimit(backend, doc.expected.losses.length);
    const full = limit === doc.expected.losses.length;
    const model = new BertForSequenceClassification(doc.config, { numLabels: 2 });
    const isAdapter = (n: string) => /\.(lora|krona|relbitfit)_[A-Za-z]+\.default$/.test(n);
    // The base weights load before wrapping (wrappers rename what they wrap); the adapter tensors after.
    model.loadStateDict(new Map([...init].filter(([n]) => !isAdapter(n))));
    const peft = applyPeft(model, doc.settings.peft);
    try {
      const adapters = [...init].filter(([n]) => isAdapter(n));
      expect(adapters.map(([n]) => n).sort()).toEqual(model.trainableParameters().map(([n]) => n).filter(isAdapter).sort());
      for (const [n, t] of adapters) model.getParameter(n).variable.assign(t);
      // HF names of the trainable tensors (wrappers insert `base_layer.`).
      expect(model.trainableParameters().map(([n]) => n.replace('.base_layer.', '.')).sort()).toEqual([...doc.settings.trainable].sort());
      const losses: number[] = [];
      await fineTuneSequenceClassification({
        model,
        tokenizer: new WordPieceTokenizer(doc.vocab),
        train: { texts: doc.texts, labels: doc.labels },
        peft: null, // already wrapped: only the adapter (and its modulesToSave) trains
        lr: doc.settings.lr,
        epochs: doc.settings.epochs,
        batchSize: doc.batchSize,
        schedule: 'linear',
        weightDecay: doc.settings.weightDecay,
        gradClipNorm: doc.settings.gradClipNorm,
        shuffle: false,
        callbacks: [{
            onStepEnd: (ctx, m) => {
              losses.push(m.loss!);
              if (losses.length >= limit && !full) ctx.requestStop('webgpu: first steps only');
            },
          }],
      });
      const { failures, worst } = compareTrajectory(losses, doc.expected.losses.slice(0, limit), { rtol: 1e-4 });
      expect(failures, `worst relative error ${worst}`).toEqual([]);
      if (full) for (const [param, want] of Object.entries(doc.expected.final!)) {
        // Final weights: float32 against float64 after 60 AdamW steps, allowed 1e-3 absolute.
        const live = model.trainableParameters().find(([n]) => n.replace('.base_layer.', '.') === param)![1];
        expect(maxAbsDiff(await live.variable.data(), want), param).toBeLessThan(1e-3);
      }
    } finally {
      peft.dispose();
      model.dispose();
      tf.dispose([...init.values()]);
    }
  }, 120_000);
}, { exclude: ['tensorflow'] });
