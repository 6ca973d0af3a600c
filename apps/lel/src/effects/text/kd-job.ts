import { AdamW, Rng, linearWithWarmup, setGlobalSeed } from '@lel/core';
import { CachedLogits, UNLABELLED, distill, type DistillMethodInput } from '@lel/distill';
import { type BertForSequenceClassification } from '@lel/models';
import { loadPretrainedBert } from '@lel/models/node';
import { TEXT_JOB } from './peft-job';
import { fewLabels, type SentimentTask } from './sentiment-task';
import { textBatch, type TextBatch } from './text-batches';
import { scoreText, type TextScore } from './text-eval';

/**
 * The distillation runs of the text effects. The teacher is the all-label full fine-tuning of the shared encoder
 * (the PEFT table's ceiling, seed 0) whose logits on the training pool are cached; the student is the same encoder
 * with N labels per class. Every step sees `labelled` labelled rows (cycled) and `transfer` rows of the rest of the
 * pool whose labels the student never sees (`UNLABELLED`): the transfer set. A schedule "epoch" is `stepsPerEpoch`
 * steps, so the per-epoch T / φ / ψ plans of Annealing-KD and Continuation-KD span the whole run.
 */
export const KD_JOB = { epochs: 20, stepsPerEpoch: 6, labelled: 4, transfer: 12 };

/**
 * The distillation arms, with `@lel/distill`'s defaults (KD α 0.5, T 4; T_max 10; CKD ψ Eq. 8, m 1; AKD half the
 * epochs in stage 1), and `none`: the same run without the teacher (hard CE on the labelled rows of the same
 * batches; the transfer rows are ignored), the paired no-KD baseline.
 */
export const KD_METHODS: Record<string, DistillMethodInput> = {
  none: { method: 'none' },
  kd: { method: 'kd', alpha: 0.5, temperature: 4 },
  'annealing-kd': { method: 'annealing-kd', tMax: 10, stage1Fraction: 0.5 },
  'continuation-kd': { method: 'continuation-kd', tMax: 10, psi: { kind: 'paper-nlu' }, margin: 1 },
};

/** What one KD job measured. */
export interface KdJobResult {
  test: TextScore;
  train: TextScore;
  steps: number;
  seconds: number;
}

/**
 * Distil the cached teacher into the encoder fine-tuned on N labels per class (the same labelled subset and head
 * initialisation as the PEFT table's full fine-tuning of the seed; AdamW, linear schedule with 6% warm-up, clip
 * 1.0, 48 tokens) with one of {@link KD_METHODS}, through `@lel/distill`'s `distill` on core's `fit`.
 */
export async function runKdJob(o: {
  encoderDir: string;
  task: SentimentTask;
  perClass: number;
  seed: number;
  lr: number;
  method: string;
  teacher: CachedLogits;
  /** Override {@link KD_JOB}'s run length (smoke tests). */
  plan?: { epochs: number; stepsPerEpoch: number };
}): Promise<KdJobResult> {
  const plan = { ...KD_JOB, ...o.plan };
  const t0 = performance.now();
  const method = KD_METHODS[o.method];
  if (!method) throw new Error(`runKdJob: unknown method "${o.method}" (${Object.keys(KD_METHODS).join(', ')})`);
  if (o.teacher.numExamples !== o.task.pool.texts.length) throw new Error(`runKdJob: the teacher cache has ${o.teacher.numExamples} rows, the pool ${o.task.pool.texts.length}`);
  const { labeled, indices } = fewLabels(o.task, o.perClass, o.seed);
  const chosen = new Set(indices);
  const transferIds = Array.from(o.task.pool.labels.keys()).filter((i) => !chosen.has(i));
  setGlobalSeed(o.seed);
  const { model, tokenizer } = await loadPretrainedBert(o.encoderDir, { numLabels: 2 });
  const student = model as BertForSequenceClassification;
  const total = plan.epochs * plan.stepsPerEpoch;
  // Two endless shuffled streams (labelled pool ids, transfer pool ids), one generator each: the labelled rows and
  // the transfer rows a step sees do not depend on the method.
  const stream = (ids: number[], name: string) => {
    const rng = new Rng(`kd-stream/${o.seed}/${o.perClass}/${name}`);
    let order: number[] = [];
    return (k: number) => {
      const out: number[] = [];
      while (out.length < k) {
        if (order.length === 0) order = Array.from(rng.permutation(ids.length), (j) => ids[j]!);
        out.push(order.shift()!);
      }
      return out;
    };
  };
  const nextLabelled = stream(indices, 'labelled');
  const nextTransfer = stream(transferIds, 'transfer');
  // The whole run's rows, planned up front (epoch e's batches are plans[e]).
  const plans: { ids: number[]; labels: number[] }[][] = [];
  for (let e = 0; e < plan.epochs; e++) {
    const epoch: { ids: number[]; labels: number[] }[] = [];
    for (let s = 0; s < plan.stepsPerEpoch; s++) {
      const ids = [...nextLabelled(plan.labelled), ...nextTransfer(plan.transfer)];
      epoch.push({ ids, labels: ids.map((i, r) => (r < plan.labelled ? o.task.pool.labels[i]! : UNLABELLED)) });
    }
    plans.push(epoch);
  }
  student.train();
  const optimizer = new AdamW(student.trainableParameters(), { lr: o.lr, weightDecay: TEXT_JOB.weightDecay });
  try {
    await distill<TextBatch>({
      student,
      teacher: o.teacher.asTeacher((b) => b.ids),
      method,
      studentLogits: (m, b) => (m as BertForSequenceClassification).forward(b).logits,
      labels: (b) => b.labels,
      epochs: plan.epochs,
      optimizer,
      schedule: linearWithWarmup({ baseLr: o.lr, warmupSteps: Math.round(0.06 * total), totalSteps: total }),
      seed: o.seed,
      gradClipNorm: TEXT_JOB.gradClipNorm,
      progress: 'none',
      stepsPerEpoch: plan.stepsPerEpoch,
      batchSize: (b) => b.labels.shape[0]!,
      data: {
        labeled: function* (epoch) {
          for (const b of plans[epoch]!) yield textBatch(tokenizer!, o.task.pool.texts, b.ids, b.labels, TEXT_JOB.maxLength);
        },
      },
    });
    student.eval();
    const logits = (x: Parameters<BertForSequenceClassification['forward']>[0]) => student.forward(x).logits;
    const test = await scoreText(logits, tokenizer!, o.task.test, { maxLength: TEXT_JOB.maxLength });
    const train = await scoreText(logits, tokenizer!, labeled, { maxLength: TEXT_JOB.maxLength });
    return { test, train, steps: total, seconds: (performance.now() - t0) / 1000 };
  } finally {
    optimizer.dispose();
    student.dispose();
  }
}
