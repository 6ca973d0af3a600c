import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { crossEntropy, fit, linearWithWarmup, type Callback } from '@lel/core';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BITFIT_ALWAYS_TRAINABLE, applyPeft, bitFitConfigSchema, kronaConfigSchema, loraConfigSchema, relBitFitConfigSchema } from '@lel/peft';
import { bertConfigFromHf, loadBertWeightsFromFile, loadWordPieceTokenizer, type BertForSequenceClassification, type BertInputs } from '@lel/models';
import { VibClassifier, VibConfigSchema, vibBert, vibLoss } from '@lel/vib';
import { Rng, type Module } from '@lel/core';
import { keepWeights } from './cct';
import { commonShape, interruptedRun, loopOptions } from './common';
import { swaCallback } from './swa';
import { TextOptim, adamwGroups, bertLogits } from './text-optim';
import { BertSource, TextData, ensurePretrained, evaluateText, loadClassifier, predictTexts, pretrainedDir, textBatches, textSets, type TextBatch } from './text';
import type { Recipe } from './types';
import { loadBest, saveBest } from '../weights';

/** The `@lel/peft` method schemas the recipes expose under `peft:`. */
const PEFT_SCHEMAS = { bitfit: bitFitConfigSchema, relbitfit: relBitFitConfigSchema, krona: kronaConfigSchema, lora: loraConfigSchema } as const;
type PeftMethod = keyof typeof PEFT_SCHEMAS;

/**
 * The classification head: `linear` (BERT's pooler → dropout → Linear) or `vib` (VIBERT's variational information
 * bottleneck, `@lel/vib`: pooled output → MLP → (μ, σ) → sampled z → classifier, loss CE + β·KL).
 */
const Head = z
  .object({
    type: z.enum(['linear', 'vib']).default('linear'),
    ...VibConfigSchema.pick({ ibDim: true, beta: true, klAnnealing: true, sampleSize: true, activation: true, dropout: true, headInitStd: true, deterministic: true }).shape,
  })
  .strict()
  .prefault({});

function schemaFor(name: string, method: PeftMethod | null) {
  const base = { ...commonShape(name), data: TextData, bert: BertSource, optim: TextOptim, head: Head };
  return method === null ? z.object(base).strict() : z.object({ ...base, peft: PEFT_SCHEMAS[method] }).strict();
}
type Config = z.output<ReturnType<typeof schemaFor>> & { peft?: z.input<(typeof PEFT_SCHEMAS)[PeftMethod]> };

/** Logits of a VIB classifier (the posterior mean's prediction in eval mode); the other outputs are freed. */
const vibLogits = (model: VibClassifier<BertInputs>) => (inputs: BertInputs) => {
  const out = model.forward(inputs);
  tf.dispose([out.mu, out.std, out.z, out.sampledLogits]);
  return out.logits;
};

/** The pretrained BERT with a VIB head (`@lel/vib` vibBert): encoder weights from the folder, fresh head. */
async function vibClassifier(config: Config, dir: string, numLabels: number) {
  const h = config.head;
  const bertCfg = bertConfigFromHf(JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as Record<string, unknown>);
  const model = vibBert(bertCfg, numLabels, {
    head: { ibDim: h.ibDim, activation: h.activation, dropout: h.dropout, sampleSize: h.sampleSize, deterministic: h.deterministic, initStd: h.headInitStd, rng: new Rng(`lel/vib-head/${config.seed}`) },
  });
  await loadBertWeightsFromFile(model.encoder, dir);
  return { model, tokenizer: await loadWordPieceTokenizer(dir), maxPositions: bertCfg.maxPositionEmbeddings };
}

/** The classifier of a run: pretrained BERT + fresh head (linear or VIB), with the run's adapters for PEFT recipes. */
async function buildClassifier(config: Config, dir: string, numLabels: number) {
  const vib = config.head.type === 'vib';
  const c = vib ? await vibClassifier(config, dir, numLabels) : await loadClassifier(dir, numLabels);
  let peftConfig = config.peft;
  if (peftConfig && vib) {
    // The VIB head is new: train it with the adapters (BitFit's always-trainable list / peft's modules_to_save).
    peftConfig =
      peftConfig.method === 'bitfit' || peftConfig.method === 'relbitfit'
        ? { ...peftConfig, alwaysTrainable: [...(peftConfig.alwaysTrainable ?? BITFIT_ALWAYS_TRAINABLE), 'head.'] }
        : { ...peftConfig, modulesToSave: [...(peftConfig.modulesToSave ?? []), 'head'] };
    // RelBitFit reads the position range from the model's config, which the VIB wrapper does not expose.
    if (peftConfig.method === 'relbitfit' && (peftConfig.maxDistance ?? null) === null) peftConfig = { ...peftConfig, maxDistance: (c as { maxPositions: number }).maxPositions - 1 };
  }
  // The adapter weights are initialised from the run seed, and best/ overwrites them when loading a run.
  const peft = peftConfig ? applyPeft(c.model as Module, peftConfig) : null;
  const logitsOf = vib ? vibLogits(c.model as VibClassifier<BertInputs>) : bertLogits(c.model as BertForSequenceClassification);
  return { ...c, model: c.model as Module, peft, logitsOf };
}

function makeTextRecipe(options: { name: string; method: PeftMethod | null; description: string; lr: number; head?: 'vib'; pkg?: string }): Recipe<Config> {
  const { name, method } = options;
  const schema = schemaFor(name, method) as unknown as z.ZodType<Config>;
  return {
    name,
    description: options.description,
    package: options.pkg ?? (method === null ? '@lel/models' : '@lel/peft'),
    task: 'text-classification',
    schema,
    defaults: { optim: { lr: options.lr }, ...(method ? { peft: { method } } : {}), ...(options.head ? { head: { type: options.head } } : {}) },
    async run(config, ctx) {
      const sets = textSets(config.data);
      ctx.log(`[data] ${sets.describe}`);
      const dir = await ensurePretrained(config.bert, ctx.runDir, config.seed, ctx.log);
      const { model, tokenizer, peft, logitsOf } = await buildClassifier(config, dir, sets.labelNames.length);
      if (peft) ctx.log(`[peft] ${peft.trainableParametersSummary()}`);
      const h = config.head;
      const optimizer = adamwGroups(model.trainableParameters(), config.optim);
      const stepsPerEpoch = Math.ceil(sets.train.texts.length / config.optim.batchSize);
      const total = stepsPerEpoch * config.optim.epochs;
      const evaluate = () => evaluateText(logitsOf, model, tokenizer, sets, config.data.maxLength).metrics;
      const swa = swaCallback<TextBatch>(config.swa, { evaluate });
      try {
        model.train();
        const result = await fit<TextBatch>({
          model,
          optimizer,
          schedule: linearWithWarmup({ baseLr: config.optim.lr, warmupSteps: Math.round(config.optim.warmupFraction * total), totalSteps: total }),
          step: (b, tc) =>
            h.type === 'vib'
              ? vibLoss((model as VibClassifier<BertInputs>).forward(b, { rng: tc.rng }), b.labels, { beta: h.deterministic ? 0 : h.beta, epoch: tc.epoch + 1, klAnnealing: h.klAnnealing, task: 'classification' })
              : { total: crossEntropy(logitsOf(b), b.labels) as tf.Scalar },
          data: { labeled: (_e, rng) => textBatches(tokenizer, sets.train, config.optim.batchSize, config.data.maxLength, rng.permutation(sets.train.texts.length)) },
          epochs: config.optim.epochs,
          stepsPerEpoch,
          seed: config.seed,
          evaluate,
          ...loopOptions(config.train, 'accuracy'),
          runDir: ctx.runDir,
          resume: ctx.resume,
          config,
          callbacks: [...(ctx.callbacks as Callback<TextBatch>[]), ...(swa ? [swa as Callback<TextBatch>] : [])],
          progress: ctx.progress,
          batchSize: (b) => b.labels.shape[0],
        });
        if (result.stopReason === 'interrupted') return interruptedRun(result);
        const bestFrom = keepWeights(model, result, config.swa.enabled);
        model.eval();
        const ev = evaluateText(logitsOf, model, tokenizer, sets, config.data.maxLength);
        await saveBest(ctx.runDir, model, { recipe: name, bestFrom, pretrained: dir });
        const c = model.countParameters();
        const notes = [`pretrained BERT from ${dir}`, `${h.type === 'vib' ? `VIB head (K = ${h.ibDim}, β = ${h.beta})` : 'linear head'}`];
        if (peft) notes.push(peft.trainableParametersSummary());
        return { ...ev, params: { total: c.all, trainable: c.trainable }, steps: result.steps, stopReason: result.stopReason, bestFrom, notes };
      } finally {
        swa?.dispose();
        optimizer.dispose();
        model.dispose();
      }
    },
    async evaluate(config, runDir) {
      const sets = textSets(config.data);
      const { model, tokenizer, logitsOf } = await buildClassifier(config, pretrainedDir(config.bert, runDir), sets.labelNames.length);
      try {
        await loadBest(runDir, model);
        return evaluateText(logitsOf, model, tokenizer, sets, config.data.maxLength);
      } finally {
        model.dispose();
      }
    },
    async predict(config, request) {
      const labelNames = ['negative', 'positive'];
      const { model, tokenizer, logitsOf } = await buildClassifier(config, pretrainedDir(config.bert, request.runDir), labelNames.length);
      try {
        await loadBest(request.runDir, model);
        return predictTexts(logitsOf, model, tokenizer, labelNames, request, config.data.maxLength);
      } finally {
        model.dispose();
      }
    },
  };
}

export const finetuneFullRecipe = makeTextRecipe({ name: 'finetune-full', method: null, lr: 5e-4, description: 'Baseline: full fine-tuning of a BERT (masked-LM pretrained on the embedded corpus) on 16 reviews per class (@lel/models)' });
export const peftBitfitRecipe = makeTextRecipe({ name: 'peft-bitfit', method: 'bitfit', lr: 1e-2, description: 'BitFit: fine-tune only the bias terms (+ classifier) of the BERT (@lel/peft)' });
export const peftRelbitfitRecipe = makeTextRecipe({ name: 'peft-relbitfit', method: 'relbitfit', lr: 1e-2, description: 'RelBitFit: BitFit with relative-position terms in place of the key bias (@lel/peft)' });
export const peftKronaRecipe = makeTextRecipe({ name: 'peft-krona', method: 'krona', lr: 5e-3, description: 'KronA: Kronecker-product adapters on query/value (@lel/peft)' });
export const peftLoraRecipe = makeTextRecipe({ name: 'peft-lora', method: 'lora', lr: 5e-3, description: 'LoRA: low-rank adapters on query/value (@lel/peft)' });
export const vibRecipe = makeTextRecipe({ name: 'vib', method: null, lr: 5e-4, head: 'vib', pkg: '@lel/vib', description: 'VIBERT: full fine-tuning with a variational information bottleneck head (CE + β·KL) on 16 reviews per class (@lel/vib)' });
