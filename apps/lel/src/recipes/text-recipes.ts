import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BITFIT_ALWAYS_TRAINABLE, applyPeft, bitFitConfigSchema, kronaConfigSchema, loraConfigSchema, peftFineTune, relBitFitConfigSchema, type PeftConfig, type PeftFineTuneInfo } from '@lel/peft';
import { bertConfigFromHf, fineTuneClassifier, type BertForSequenceClassification, type BertInputs } from '@lel/models';
import { loadBertWeightsFromFile, loadWordPieceTokenizer } from '@lel/models/node';
import { VibClassifier, VibConfigSchema, vibBert, vibTextLoss, vibert } from '@lel/vib';
import { Rng, type AnyMethod, type Module } from '@lel/core';
import { commonShape } from './common';
import { TextLength, TextOptim, bertLogits } from './text-optim';
import { BertSource, REVIEW_DATA_MOVED, TextData, ensurePretrained, evaluateText, loadClassifier, predictTexts, pretrainedDir, textSets } from './text';
import { runLabelMap } from '../data/manifest';
import type { Recipe } from './types';
import { loadBest } from '../weights';

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
  const base = { ...commonShape(name, TextLength), data: TextData, bert: BertSource, optim: TextOptim, head: Head };
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

/** The PEFT config of a run (with the VIB head kept trainable beside the adapters), or null. */
function peftConfigOf(config: Config, maxPositions: number): PeftConfig | null {
  let peftConfig = config.peft ?? null;
  if (peftConfig && config.head.type === 'vib') {
    // The VIB head is new: train it with the adapters (BitFit's always-trainable list / peft's modules_to_save).
    peftConfig =
      peftConfig.method === 'bitfit' || peftConfig.method === 'relbitfit'
        ? { ...peftConfig, alwaysTrainable: [...(peftConfig.alwaysTrainable ?? BITFIT_ALWAYS_TRAINABLE), 'head.'] }
        : { ...peftConfig, modulesToSave: [...(peftConfig.modulesToSave ?? []), 'head'] };
    // RelBitFit reads the position range from the model's config, which the VIB wrapper does not expose.
    if (peftConfig.method === 'relbitfit' && (peftConfig.maxDistance ?? null) === null) peftConfig = { ...peftConfig, maxDistance: maxPositions - 1 };
  }
  return peftConfig as PeftConfig | null;
}

/** The pretrained classifier of a run (BERT + fresh head, linear or VIB), without adapters. */
async function baseClassifier(config: Config, dir: string, numLabels: number) {
  const vib = config.head.type === 'vib';
  const c = vib ? await vibClassifier(config, dir, numLabels) : { ...(await loadClassifier(dir, numLabels)), maxPositions: 0 };
  const logitsOf = vib ? vibLogits(c.model as VibClassifier<BertInputs>) : bertLogits(c.model as BertForSequenceClassification);
  return { ...c, model: c.model as Module, logitsOf };
}

/** The classifier of a trained run, for `lel eval` / `lel predict`: the base classifier with the run's adapters (weights from best/). */
async function buildClassifier(config: Config, dir: string, numLabels: number) {
  const c = await baseClassifier(config, dir, numLabels);
  const peft = peftConfigOf(config, c.maxPositions);
  // The adapters are initialised as in training; best/ overwrites them.
  if (peft) applyPeft(c.model, peft);
  return c;
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
    defaults: {
      // 16 embedded reviews per class (the few-sample protocol); `data.labelled=./my.tsv` trains on the user's texts.
      data: { labelled: { source: 'sentiment', perClass: 16 } },
      optim: { lr: options.lr },
      ...(method ? { peft: { method } } : {}),
      ...(options.head ? { head: { type: options.head } } : {}),
    },
    moved: { 'optim.epochs': 'moved to train.epochs', 'optim.batchSize': 'moved to train.batchSize', ...REVIEW_DATA_MOVED },
    async prepare(config, ctx) {
      const sets = textSets(config.data, ctx.runDir);
      ctx.log(`[data] ${sets.describe}`);
      const dir = await ensurePretrained(config.bert, ctx.runDir, config.seed, ctx.log);
      const { model, tokenizer, maxPositions, logitsOf } = await baseClassifier(config, dir, sets.labelNames.length);
      const h = config.head;
      // The text fine-tuning every method shares (@lel/models), with the app's settings: AdamW with Hugging Face's
      // decay groups, linear warm-up then decay, max_length padding, no clipping, reshuffled every epoch.
      const fineTune = {
        lr: config.optim.lr,
        weightDecay: config.optim.weightDecay,
        noDecayOnBiasAndNorm: true,
        warmupFraction: config.optim.warmupFraction,
        epochs: config.train.epochs,
        batchSize: config.train.batchSize,
        maxLength: config.data.maxLength,
        padding: 'max_length' as const,
        gradClipNorm: null,
        shuffle: true,
        seed: config.seed,
      };
      const vibHead = { ibDim: h.ibDim, beta: h.beta, klAnnealing: h.klAnnealing, sampleSize: h.sampleSize, activation: h.activation, dropout: h.dropout, headInitStd: h.headInitStd, deterministic: h.deterministic };
      // The method: VIBERT (@lel/vib), a PEFT method (@lel/peft), or full fine-tuning (@lel/models); a VIB head on a
      // PEFT or full run trains with VIBERT's loss.
      const loss = h.type === 'vib' ? { loss: vibTextLoss({ ...vibHead, task: 'classification' }) as never } : {};
      const data = { model, tokenizer, train: sets.train, ...loss };
      const peft = peftConfigOf(config, maxPositions);
      const choice: { method: AnyMethod; config: unknown; data: unknown } =
        options.pkg === '@lel/vib'
          ? { method: vibert, config: { ...fineTune, ...vibHead, head: 'vib' }, data: { model, tokenizer, train: sets.train } }
          : peft
            ? // adapterSeed null: the adapters draw from the run's process-wide generator, as applyPeft without a seed.
              { method: peftFineTune, config: { ...fineTune, schedule: 'linear', peft, adapterSeed: null }, data }
            : { method: fineTuneClassifier, config: { ...fineTune, schedule: 'linear' }, data };
      const evaluate = async () => (await evaluateText(logitsOf, model, tokenizer, sets, config.data.maxLength, 'dev')).metrics;
      return {
        ...choice,
        evaluate,
        bestMetric: 'accuracy',
        report: () => evaluateText(logitsOf, model, tokenizer, sets, config.data.maxLength),
        finish: (_m, _r, info) => {
          const wrapper = (info as PeftFineTuneInfo | undefined)?.peft;
          if (wrapper) ctx.log(`[peft] ${wrapper.trainableParametersSummary()}`);
          const summary = wrapper?.trainableParametersSummary();
          // The wrapper's copies of the base values (to unload) are not needed once the run is over.
          wrapper?.dispose();
          return {
            info: { pretrained: dir },
            notes: [`pretrained BERT from ${dir}`, `${h.type === 'vib' ? `VIB head (K = ${h.ibDim}, β = ${h.beta})` : 'linear head'}`, ...(summary ? [summary] : [])],
          };
        },
        notes: [],
        models: [model],
        dispose: () => {},
      };
    },
    async evaluate(config, runDir) {
      // The run's own split and label map (data/split.json).
      const sets = textSets(config.data, runDir);
      const { model, tokenizer, logitsOf } = await buildClassifier(config, pretrainedDir(config.bert, runDir), sets.labelNames.length);
      try {
        await loadBest(runDir, model);
        return await evaluateText(logitsOf, model, tokenizer, sets, config.data.maxLength);
      } finally {
        model.dispose();
      }
    },
    async predict(config, request) {
      const labelNames = runLabelMap(request.runDir).classNames;
      const { model, tokenizer, logitsOf } = await buildClassifier(config, pretrainedDir(config.bert, request.runDir), labelNames.length);
      try {
        await loadBest(request.runDir, model);
        return await predictTexts(logitsOf, model, tokenizer, labelNames, request, config.data.maxLength);
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
