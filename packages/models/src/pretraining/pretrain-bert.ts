import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { AdamW, Rng, clipGradNorm, computeGradients, fit, linearWithWarmup, type FitResult, type NamedParameter, type ProgressMode } from '@lel/core';
import { DataParallel } from '@lel/core/node';
import type { BertForPreTraining } from '../bert/pre-training';
import type { WordPieceTokenizer } from '../tokenizer/wordpiece';
import { makePretrainingBatch, sliceBatch, type PretrainingBatch } from './pretraining-batch';
import { pretrainingLoss } from './pretraining-loss';
import type { PretrainingShardPayload } from './pretraining-task';

/** Options of {@link pretrainBert}. */
export interface PretrainBertOptions {
  /** The model to train (fresh, or loaded from a checkpoint to continue pretraining); trained in place. */
  model: BertForPreTraining;
  tokenizer: WordPieceTokenizer;
  /** Training documents as token ids (the pairs never cross a document). */
  docs: readonly (readonly number[])[];
  /** Length of the whole pretraining (the schedule decays to 0 there), counting resumed steps. */
  steps: number;
  /** Stop this process after this many steps in total (a budgeted session); `resume: 'last'` goes on later. Default `steps`. */
  stopAfter?: number;
  /** Pairs per step. Default 32. */
  batchSize?: number;
  /** Tokens per segment: a pair is `2·half + 3` tokens. Default 62 (128-token pairs, as the shipped encoder). */
  half?: number;
  /** Peak AdamW learning rate. Default 1e-4 (continued pretraining; the GPU run used 1e-3 from scratch). */
  lr?: number;
  /** Warm-up steps, then linear decay to 0 at `steps`. Default 10% of `steps`. */
  warmupSteps?: number;
  /** AdamW weight decay on matrices and embeddings (none on biases and LayerNorm). Default 0.01. */
  weightDecay?: number;
  /** AdamW betas and eps (default 0.9 / 0.98 / 1e-6, as the shipped encoder's run). */
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Global gradient-norm clip. Default 1.0. */
  gradClipNorm?: number;
  /** Data-parallel worker threads (default 2: both cores); 0 computes in this thread. */
  workers?: number;
  /** Backend of the workers (default wasm). */
  backend?: 'wasm' | 'cpu';
  /** Seeds the pairs and masks of every step. Default 0. */
  seed?: number;
  /** Run folder: metrics.jsonl and full-state checkpoints (weights, AdamW moments, step, generators). */
  runDir?: string;
  /** Continue the run in `runDir` from its last checkpoint (`'last'`) or a checkpoint path. */
  resume?: 'last' | (string & {});
  /** Steps between checkpoints. Default 50. */
  checkpointEvery?: number;
  /** Held-out evaluation every `evalEvery` steps (logged as eval records). */
  evaluate?: () => Promise<Record<string, number>> | Record<string, number>;
  evalEvery?: number;
  progress?: ProgressMode;
}

const STEPS_PER_EPOCH = 50;

/**
 * Pretrain (or continue pretraining) a BERT with masked LM (dynamic masking) + next-sentence prediction on core's
 * `fit`: every step samples fresh pairs and masks, the gradients are computed on `workers` data-parallel threads
 * (each a replica of the model, the batch split between them, gradients averaged exactly) and AdamW (decay /
 * no-decay groups, warm-up + linear decay, clipping) updates the weights here. With `runDir` every
 * `checkpointEvery` steps a full-state checkpoint is written, and `resume: 'last'` continues a stopped run exactly
 * where it was (weights, optimiser moments, step, data generator), so pretraining can go on over several runs.
 */
export async function pretrainBert(o: PretrainBertOptions): Promise<FitResult> {
  const model = o.model;
  const tk = o.tokenizer;
  const batchSize = o.batchSize ?? 32;
  const half = o.half ?? 62;
  if (2 * half + 3 > model.config.maxPositionEmbeddings) throw new Error(`pretrainBert: pairs of 2·${half} + 3 tokens exceed maxPositionEmbeddings ${model.config.maxPositionEmbeddings}`);
  if (tk.vocabSize !== model.config.vocabSize) throw new Error(`pretrainBert: the tokenizer has ${tk.vocabSize} tokens, the model ${model.config.vocabSize}`);
  const lr = o.lr ?? 1e-4;
  model.train();
  const params = model.trainableParameters();
  const noDecay = (n: string) => n.endsWith('.bias') || n.includes('LayerNorm');
  const optimizer = new AdamW(
    [
      { params: params.filter(([n]) => !noDecay(n)) as NamedParameter[] },
      { params: params.filter(([n]) => noDecay(n)) as NamedParameter[], weightDecay: 0 },
    ],
    { lr, weightDecay: o.weightDecay ?? 0.01, beta1: o.beta1 ?? 0.9, beta2: o.beta2 ?? 0.98, eps: o.eps ?? 1e-6 },
  );
  const workers = o.workers ?? 2;
  const dp =
    workers > 0
      ? await DataParallel.create({
          module: taskModule(),
          exportName: 'createPretrainingTask',
          args: { config: model.config },
          workers,
          backend: o.backend ?? 'wasm',
        })
      : null;
  const tokens = { clsId: tk.clsId, sepId: tk.sepId, padId: tk.padId, maskId: tk.maskId };
  const clip = o.gradClipNorm ?? 1.0;
  try {
    return await fit<PretrainingBatch>({
      model,
      optimizer,
      schedule: linearWithWarmup({ baseLr: lr, warmupSteps: o.warmupSteps ?? Math.round(0.1 * o.steps), totalSteps: o.steps }),
      maxSteps: Math.min(o.steps, o.stopAfter ?? o.steps),
      seed: o.seed ?? 0,
      runDir: o.runDir,
      resume: o.resume,
      checkpoint: o.runDir ? { every: { steps: o.checkpointEvery ?? 50 } } : false,
      evaluate: o.evaluate ? () => o.evaluate!() : undefined,
      evalEvery: o.evalEvery ? { steps: o.evalEvery } : undefined,
      progress: o.progress ?? 'none',
      stepsPerEpoch: STEPS_PER_EPOCH,
      batchSize: () => batchSize,
      data: {
        labeled: function* (_epoch, rng: Rng) {
          for (let i = 0; i < STEPS_PER_EPOCH; i++) yield makePretrainingBatch(o.docs, rng, { batchSize, half, tokens, vocabSize: tk.vocabSize });
        },
      },
      trainStep: async (batch) => {
        let loss: number;
        let grads: Map<string, tf.Tensor>;
        const parts: Record<string, number> = {};
        if (dp) {
          const maskedTotal = batch.positions.length;
          const r = await dp.gradients(
            params.map(([, p]) => p.variable),
            batchSize,
            (start, count): PretrainingShardPayload => ({ batch: sliceBatch(batch, start, count), maskedTotal, batchSize }),
          );
          loss = r.loss;
          grads = new Map(params.map(([n], i) => [n, r.grads[i]!]));
        } else {
          const r = await computeGradients(() => ({ ...pretrainingLoss(model, batch) }), params);
          loss = r.loss;
          grads = r.grads;
          Object.assign(parts, r.parts);
        }
        const clipped = await clipGradNorm(grads, clip);
        tf.dispose([...grads.values()]);
        optimizer.step(clipped.grads);
        tf.dispose([...clipped.grads.values()]);
        return { loss, ...parts, gradNorm: clipped.totalNorm };
      },
    });
  } finally {
    await dp?.close();
    optimizer.dispose();
    model.train(false);
  }
}

/** The replica factory's file: dist/pretraining-task.js beside the built bundle, or the source file. */
function taskModule(): string {
  const js = fileURLToPath(new URL('./pretraining-task.js', import.meta.url));
  return existsSync(js) ? js : fileURLToPath(new URL('./pretraining-task.ts', import.meta.url));
}
