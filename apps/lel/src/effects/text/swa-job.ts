import { setGlobalSeed, type Module } from '@lel/core';
import type { TextClassificationData } from '@lel/datasets';
import { type BertForSequenceClassification } from '@lel/models';
import { loadPretrainedBert } from '@lel/models/node';
import { fineTuneSequenceClassification } from '@lel/peft';
import { SwaCallback } from '@lel/swa';
import { epochsFor } from './peft-arms';
import { TEXT_JOB } from './peft-job';
import { fewLabels, type SentimentTask } from './sentiment-task';
import { scoreText, type TextScore } from './text-eval';

/**
 * Averaging in the text effects, after Lu et al. (Findings of EMNLP 2022) for PLM fine-tuning: a high constant
 * learning rate (the full fine-tuning arm's dev-chosen peak rate, held instead of decayed), SWA's running mean
 * every 2 steps over the second half of training, and an EMA (decay 0.95, every step) over the same half. Both
 * averages are tracked in the same run as the last iterate, so the three are paired by construction.
 */
export const SWA_JOB = {
  swa: { strategy: 'swa' as const, unit: 'step' as const, every: 2, swaStart: 0.5 },
  ema: { strategy: 'ema' as const, decay: 0.95, unit: 'step' as const, every: 1, swaStart: 0.5 },
};

/** What one averaging job measured: the last iterate and the two averages, each on test and the training labels. */
export interface SwaJobResult {
  last: { test: TextScore; train: TextScore };
  swa: { test: TextScore; train: TextScore; models: number };
  ema: { test: TextScore; train: TextScore; models: number };
  steps: number;
  seconds: number;
}

/**
 * Fully fine-tune the encoder on N labels per class with a constant learning rate `lr` (the PEFT table's full
 * fine-tuning otherwise: same subset, head initialisation, batches and epochs for the seed), averaging with
 * `@lel/swa`'s SwaCallback (SWA and EMA side by side, `applyAtEnd: false`), and score the last iterate and both
 * averages on the test split and the training labels.
 */
export async function runSwaJob(o: { encoderDir: string; task: SentimentTask; perClass: number; seed: number; lr: number; epochs?: number }): Promise<SwaJobResult> {
  const t0 = performance.now();
  const { labeled } = fewLabels(o.task, o.perClass, o.seed);
  setGlobalSeed(o.seed);
  const { model, tokenizer } = await loadPretrainedBert(o.encoderDir, { numLabels: 2 });
  const bert = model as BertForSequenceClassification;
  const scoreBoth = async (m: Module) => {
    const logits = (x: Parameters<BertForSequenceClassification['forward']>[0]) => (m as BertForSequenceClassification).forward(x).logits;
    const score = (d: TextClassificationData) => scoreText(logits, tokenizer!, d, { maxLength: TEXT_JOB.maxLength });
    return { test: await score(o.task.test), train: await score(labeled) };
  };
  const averaged: Record<'swa' | 'ema', { test: TextScore; train: TextScore } | undefined> = { swa: undefined, ema: undefined };
  const callbacks = (['swa', 'ema'] as const).map(
    (name) =>
      new SwaCallback({
        name,
        ...SWA_JOB[name],
        applyAtEnd: false,
        saveAveraged: false,
        evaluate: async (m) => {
          const r = await scoreBoth(m);
          averaged[name] = r;
          return { test_accuracy: r.test.accuracy };
        },
      }),
  );
  const epochs = o.epochs ?? epochsFor(o.perClass);
  try {
    const r = await fineTuneSequenceClassification({
      model: bert,
      tokenizer: tokenizer!,
      train: labeled,
      peft: null,
      lr: o.lr,
      epochs,
      ...TEXT_JOB,
      schedule: 'constant',
      seed: o.seed,
      callbacks,
    });
    bert.eval();
    const last = await scoreBoth(bert);
    const models = (i: number) => callbacks[i]!.averagedModel?.nAveraged ?? 0;
    if (!averaged.swa || !averaged.ema) throw new Error('runSwaJob: an average was never evaluated (training ended before averaging started)');
    return {
      last,
      swa: { ...averaged.swa, models: models(0) },
      ema: { ...averaged.ema, models: models(1) },
      steps: r.fit.steps,
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    for (const c of callbacks) c.dispose();
    bert.dispose();
  }
}
