/**
 * Few-sample sentiment fine-tuning benchmark of @lel/peft's methods on a small BERT pretrained here by
 * masked language modelling (@lel/models' `pretrainMlm` on @lel/datasets' embedded corpus).
 *
 *   pnpm --filter @lel/peft bench -- --n 100,500 --seeds 3 --steps 125
 *
 * Every run gets about the same number of optimiser steps (`--steps`, batch 8): epochs = round(steps·8/N),
 * at least 1 (or `--epochs` for all).
 *
 * Train: N examples of the Yelp sentiment domain (stratified 80/20 split per seed); in-domain test: the 20%;
 * out-of-domain: Amazon + IMDb (2000 sentences). Prints a markdown table (mean ± 95% CI over seeds) and
 * writes bench-results/peft.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, meanConfidenceInterval, setGlobalSeed } from '@lel/core';
import { type TextClassificationData } from '@lel/datasets';
import { loadTextCorpus, sentimentDomainShift } from '@lel/datasets/node';
import { BertForSequenceClassification, pretrainMlm } from '@lel/models';
import { loadPretrainedBert, saveBertPretrained } from '@lel/models/node';
import { fineTuneSequenceClassification, type PeftConfig } from '../src/index';

const { values: args } = parseArgs({
  // `pnpm bench -- --n 100` may pass the `--` through.
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    n: { type: 'string', default: '100,500' },
    seeds: { type: 'string', default: '3' },
    epochs: { type: 'string', default: '' },
    steps: { type: 'string', default: '125' },
    methods: { type: 'string', default: '' },
    'pretrain-steps': { type: 'string', default: '300' },
    'max-length': { type: 'string', default: '48' },
    'max-ood': { type: 'string', default: '500' },
    /** An HF BERT folder (config.json, model.safetensors, vocab.txt) to use instead of pretraining BERT-mini here. */
    model: { type: 'string', default: '' },
    /** Multiply every method's learning rate. */
    'lr-scale': { type: 'string', default: '1' },
  },
});

/** Methods at roughly matched budgets on BERT-mini (hidden 128, 2 layers). */
const METHODS: Record<string, { peft: PeftConfig | null; lr: number }> = {
  // Short runs (≈125 steps): learning rates above the official long-run values (BitFit 1e-3, full 2e-5); not tuned.
  full: { peft: null, lr: 2e-4 },
  bitfit: { peft: { method: 'bitfit' }, lr: 5e-3 },
  relbitfit: { peft: { method: 'relbitfit', maxDistance: 16 }, lr: 5e-3 },
  'relbitfit-pt-lr-clip': { peft: { method: 'relbitfit', maxDistance: 8, rank: 4, shareAcrossHeads: true, shareAcrossLayers: true }, lr: 5e-3 },
  krona: { peft: { method: 'krona' }, lr: 2e-3 },
  lora: { peft: { method: 'lora', r: 4, loraAlpha: 8 }, lr: 2e-3 },
};

async function pretrained(dir: string, steps: number): Promise<void> {
  if (existsSync(join(dir, 'model.safetensors'))) return;
  const texts = loadTextCorpus().map((d) => d.text);
  const t0 = performance.now();
  const { model, tokenizer, losses } = await pretrainMlm({ texts, steps, seed: 0 });
  console.error(`pretrained BERT-mini by MLM: ${steps} steps, loss ${losses[0]?.toFixed(2)} → ${losses.at(-1)?.toFixed(2)}, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  await saveBertPretrained(model, dir, { tokenizer });
  model.dispose();
}

function take(d: TextClassificationData, n: number, seed: number): TextClassificationData {
  // Stratified first-n of a seeded shuffle (the split is already seeded; keep class balance).
  const byClass: number[][] = [[], []];
  d.labels.forEach((l, i) => byClass[l]!.push(i));
  const idx: number[] = [];
  for (let k = 0; idx.length < Math.min(n, d.texts.length); k++) for (const c of byClass) if (c[k] !== undefined && idx.length < n) idx.push(c[(k * 7919 + seed) % c.length]!);
  return { texts: idx.map((i) => d.texts[i]!), labels: Int32Array.from(idx, (i) => d.labels[i]!), labelNames: d.labelNames };
}

function subsample(d: TextClassificationData, n: number): TextClassificationData {
  if (d.texts.length <= n) return d;
  const step = d.texts.length / n;
  const idx = Array.from({ length: n }, (_, i) => Math.floor(i * step));
  return { texts: idx.map((i) => d.texts[i]!), labels: Int32Array.from(idx, (i) => d.labels[i]!), labelNames: d.labelNames };
}

async function main(): Promise<void> {
  const info = await initBackend();
  const ns = args.n!.split(',').map(Number);
  const seeds = Number(args.seeds);
  const epochsFor = (n: number) => (args.epochs ? Number(args.epochs) : Math.max(1, Math.round((Number(args.steps) * 8) / n)));
  const maxLength = Number(args['max-length']);
  const methods = args.methods ? args.methods.split(',') : Object.keys(METHODS);
  const dir = args.model || join(process.cwd(), '.lel-cache', 'bert-mini-mlm');
  if (!args.model) await pretrained(dir, Number(args['pretrain-steps']));
  const rows: Record<string, unknown>[] = [];
  for (const n of ns) {
    for (const method of methods) {
      const m = METHODS[method];
      if (!m) throw new Error(`unknown method ${method} (known: ${Object.keys(METHODS).join(', ')})`);
      const inD: number[] = [];
      const ood: number[] = [];
      let trainable = 0;
      let all = 0;
      const stepMs: number[] = [];
      const epochs = epochsFor(n);
      for (let seed = 0; seed < seeds; seed++) {
        setGlobalSeed(seed);
        const split = sentimentDomainShift({ source: 'yelp', seed });
        const { model, tokenizer } = await loadPretrainedBert(dir, { numLabels: 2 });
        const oodSet = Object.values(split.outOfDomainTest).reduce<TextClassificationData>(
          (acc, d) => ({ texts: [...acc.texts, ...d.texts], labels: Int32Array.from([...acc.labels, ...d.labels]), labelNames: d.labelNames }),
          { texts: [], labels: new Int32Array(0), labelNames: [] },
        );
        const r = await fineTuneSequenceClassification({
          model: model as BertForSequenceClassification,
          tokenizer: tokenizer!,
          train: take(split.train, n, seed),
          eval: { in: split.inDomainTest, ood: subsample(oodSet, Number(args['max-ood'])) },
          peft: m.peft,
          lr: m.lr * Number(args['lr-scale']),
          epochs,
          maxLength,
          seed,
        });
        inD.push(r.accuracy['in']!);
        ood.push(r.accuracy['ood']!);
        trainable = r.trainable;
        all = r.all;
        stepMs.push(r.stepMs);
        r.peft?.dispose();
        model.dispose();
        console.error(`N=${n} ${method} seed ${seed}: in ${r.accuracy['in']!.toFixed(3)} ood ${r.accuracy['ood']!.toFixed(3)} (${r.stepMs.toFixed(0)} ms/step, tensors ${tf.memory().numTensors})`);
      }
      const ci = (v: number[]) => (v.length > 1 ? meanConfidenceInterval(v, 0.95) : { mean: v[0]!, halfWidth: NaN });
      const a = ci(inD);
      const o = ci(ood);
      rows.push({ n, epochs, method, inDomain: a.mean, inDomainCi: a.halfWidth, outOfDomain: o.mean, outOfDomainCi: o.halfWidth, trainable, all, percent: (100 * trainable) / all, stepMs: stepMs.reduce((s, v) => s + v, 0) / stepMs.length, seeds });
    }
  }
  const pct = (v: number, h: number) => `${(100 * v).toFixed(1)} ± ${Number.isFinite(h) ? (100 * h).toFixed(1) : '—'}`;
  console.log(`\nbackend ${info.name}; BERT-mini MLM-pretrained here; Yelp → in-domain / Amazon+IMDb OOD (${args['max-ood']} sentences); ≈${args.steps} steps (epochs = round(steps·8/N)), batch 8, AdamW, clip 1.0, ${seeds} seeds, max length ${maxLength}\n`);
  console.log('| N | epochs | method | trainable params (%) | in-domain acc % | out-of-domain acc % | ms/step |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of rows as { n: number; epochs: number; method: string; trainable: number; percent: number; inDomain: number; inDomainCi: number; outOfDomain: number; outOfDomainCi: number; stepMs: number }[]) {
    console.log(`| ${r.n} | ${r.epochs} | ${r.method} | ${r.trainable.toLocaleString('en-US')} (${r.percent.toFixed(2)}%) | ${pct(r.inDomain, r.inDomainCi)} | ${pct(r.outOfDomain, r.outOfDomainCi)} | ${r.stepMs.toFixed(0)} |`);
  }
  await mkdir('bench-results', { recursive: true });
  await writeFile(join('bench-results', 'peft.json'), JSON.stringify({ backend: info.name, rows }, null, 2));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
