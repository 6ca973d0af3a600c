import { AdamW, Rng, fit, linearWithWarmup, setGlobalSeed } from '@lel/core';
import type { TextClassificationData } from '@lel/datasets';
import { loadPretrainedBert } from '@lel/models/node';
import { VibClassifier, VibHead, bertPooledOutput, vibLoss } from '@lel/vib';
import { epochsFor } from './peft-arms';
import { TEXT_JOB } from './peft-job';
import { fewLabels, type SentimentTask } from './sentiment-task';
import { epochBatches, type TextBatch } from './text-batches';
import { scoreText, type TextScore } from './text-eval';

/**
 * VIBERT's settings in the text effects: the official argparse bottleneck (K = 128), S = 5, β = 1e-5 with linear
 * annealing (vibert.sh), ReLU MLP, dropout 0.1 on the pooled output, and `@lel/vib`'s documented initialisation for
 * heads on small encoders (`headInitStd: null`, PyTorch's nn.Linear default: with N(0, 0.02) the four head layers
 * shrink a 256-wide signal until z is noise, see the vib README).
 */
export const VIB_JOB = { ibDim: 128, sampleSize: 5, beta: 1e-5, klAnnealing: 'linear' as const, activation: 'relu' as const, dropout: 0.1, initStd: null };

/** β values of the dev sweep (`run-grid.ts vib-sweep`): the official 1e-5 and two decades above it. */
export const VIB_BETAS = [1e-5, 1e-4, 1e-3];

/** What one VIB job measured. */
export interface VibJobResult {
  /** The dev split's score (the β sweep) instead of test and train. */
  dev?: TextScore;
  test?: TextScore;
  train?: TextScore;
  /** test CE − train CE (eval mode, end of training): the overfitting gap VIB promises to narrow. */
  gap?: number;
  /** The KL weight β of the run. */
  beta: number;
  steps: number;
  seconds: number;
}

/**
 * Fine-tune the whole encoder with VIBERT's head on the pooled [CLS] (`@lel/vib`'s VibHead + vibLoss) on N labels
 * per class, with exactly the PEFT table's full fine-tuning settings and batches of the same seed (AdamW, linear
 * schedule with 6% warm-up, clip 1.0, batch 16, 48 tokens, the same epochs and data order): the only differences
 * from that arm are the head and the loss, so it is the paired baseline.
 */
export async function runVibJob(o: {
  encoderDir: string;
  task: SentimentTask;
  perClass: number;
  seed: number;
  lr: number;
  epochs?: number;
  /** The KL weight (default {@link VIB_JOB}'s official 1e-5). */
  beta?: number;
  /** Score the dev split only (the β sweep). */
  devOnly?: boolean;
}): Promise<VibJobResult> {
  const beta = o.beta ?? VIB_JOB.beta;
  const t0 = performance.now();
  const { labeled } = fewLabels(o.task, o.perClass, o.seed);
  setGlobalSeed(o.seed);
  const { model: bert, tokenizer } = await loadPretrainedBert(o.encoderDir);
  const head = new VibHead(bert.config.hiddenSize, 2, { ...VIB_JOB, rng: new Rng(`vib-head/${o.seed}`) });
  const model = new VibClassifier(bert, head, bertPooledOutput);
  const epochs = o.epochs ?? epochsFor(o.perClass);
  const stepsPerEpoch = Math.ceil(labeled.texts.length / TEXT_JOB.batchSize);
  const total = stepsPerEpoch * epochs;
  model.train();
  const optimizer = new AdamW(model.trainableParameters(), { lr: o.lr, weightDecay: TEXT_JOB.weightDecay });
  try {
    await fit<TextBatch>({
      model,
      optimizer,
      schedule: linearWithWarmup({ baseLr: o.lr, warmupSteps: Math.round(0.06 * total), totalSteps: total }),
      epochs,
      seed: o.seed,
      gradClipNorm: TEXT_JOB.gradClipNorm,
      progress: 'none',
      stepsPerEpoch,
      batchSize: (b) => b.labels.shape[0]!,
      data: { labeled: (_epoch, rng) => epochBatches(tokenizer!, labeled, TEXT_JOB.batchSize, TEXT_JOB.maxLength, rng) },
      step: (b, ctx) => {
        const out = model.forward(b, { rng: ctx.rng });
        return vibLoss(out, b.labels, { beta, epoch: ctx.epoch + 1, klAnnealing: VIB_JOB.klAnnealing });
      },
    });
    model.eval();
    const score = (d: TextClassificationData) => scoreText((x) => model.forward(x).logits, tokenizer!, d, { maxLength: TEXT_JOB.maxLength });
    if (o.devOnly) return { dev: await score(o.task.dev), beta, steps: total, seconds: (performance.now() - t0) / 1000 };
    const test = await score(o.task.test);
    const train = await score(labeled);
    return { test, train, gap: test.loss - train.loss, beta, steps: total, seconds: (performance.now() - t0) / 1000 };
  } finally {
    optimizer.dispose();
    model.dispose();
  }
}
