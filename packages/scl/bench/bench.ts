// `pnpm --filter @lel/scl bench`: SCL on the embedded few-shot glyph classes (base → novel), wasm backend.
// Trains CE, CE+GC, CE+SC and a student distilled from CE+SC with a small ResNet-12, then runs 5-way 1-shot and
// 5-shot episodes on novel classes (logistic regression on global + spatial features, mean ± 95% CI).
// Sizes come from env (defaults: the configuration of the README table):
//   SCL_BASE_CLASSES, SCL_PER_CLASS, SCL_NOVEL_CLASSES, SCL_EPOCHS, SCL_BATCH, SCL_EPISODES, SCL_WIDTHS (e.g. 8,16,32,32),
//   SCL_FEATDIM (projection / q-k-v width), SCL_VARIANTS (comma list of CE, CE+GC, CE+SC, distilled; default all),
//   SCL_OUT (folder for the weights and results.json; default runs/scl-bench).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import '@tensorflow/tfjs-backend-wasm';
import { useBackend } from '@lel/core';
import { glyphClassSplits, makeGlyphFewShot } from '@lel/datasets/node';
import { evaluateFewShot, extractFeatures, plainView, imageAt, stackImages, saveSclWeights, trainScl, trainSclDistill } from '../src/index';
import type { SclConfigInput, SclModel } from '../src/index';

await useBackend('wasm');
const env = (k: string, d: number) => (process.env[k] ? Number(process.env[k]) : d);
const baseClasses = env('SCL_BASE_CLASSES', 64);
const perClass = env('SCL_PER_CLASS', 10);
const novelClasses = env('SCL_NOVEL_CLASSES', 100);
const epochs = env('SCL_EPOCHS', 3);
const featDim = env('SCL_FEATDIM', 16);
const batchSize = env('SCL_BATCH', 32);
const episodes = env('SCL_EPISODES', 600);
const channels = (process.env.SCL_WIDTHS ?? '8,16,32,32').split(',').map(Number) as [number, number, number, number];
const out = process.env.SCL_OUT ?? 'runs/scl-bench';
mkdirSync(out, { recursive: true });

const splits = glyphClassSplits(0);
let t0 = performance.now();
const base = makeGlyphFewShot({ classes: splits.base.slice(0, baseClasses), perClass, size: 32, seed: 'scl-base' });
const novel = makeGlyphFewShot({ classes: splits.novel.slice(0, novelClasses), perClass: 20, size: 32, seed: 'scl-novel' });
console.error(`data: ${base.n} base images (${baseClasses} classes), ${novel.n} novel images (${novelClasses} classes), ${((performance.now() - t0) / 1000).toFixed(1)} s`);

// Milestones scaled from mini-ImageNet's 60/80 of 90 epochs.
const milestones = [Math.max(1, Math.round((epochs * 60) / 90)), Math.max(1, Math.round((epochs * 80) / 90))];
const common = { channels, featDim, batchSize, epochs, lrMilestones: milestones, seed: 31 };
const wanted = new Set((process.env.SCL_VARIANTS ?? 'CE,CE+GC,CE+SC,distilled').split(','));
const variants = ([
  ['CE', { ...common, spatialContLoss: false, globalContLoss: false }],
  ['CE+GC', { ...common, spatialContLoss: false, globalContLoss: true }],
  ['CE+SC', { ...common, spatialContLoss: true, globalContLoss: false }],
] as [string, SclConfigInput][]).filter(([name]) => wanted.has(name) || (name === 'CE+SC' && wanted.has('distilled')));

interface Row { name: string; msPerStep: number; steps: number; shot1: string; shot5: string; raw: unknown }
const rows: Row[] = [];
const novelImages = stackImages(Array.from({ length: novel.n }, (_, i) => plainView(imageAt(novel, i), 32)));

function evaluate(name: string, model: SclModel, msPerStep: number, steps: number): void {
  const features = await extractFeatures(model, novelImages);
  const res = await Promise.all([1, 5].map((kShot) => evaluateFewShot(model, novel, { kShot, episodes, nAugSupport: 1, seed: 0 }, { features })));
  const fmt = (r: (typeof res)[number]) => `${(100 * r.mean).toFixed(2)} ± ${(100 * r.halfWidth).toFixed(2)}`;
  rows.push({ name, msPerStep, steps, shot1: fmt(res[0]!), shot5: fmt(res[1]!), raw: res.map(({ accuracies: _a, ...r }) => r) });
  console.error(`${name}: 1-shot ${fmt(res[0]!)}, 5-shot ${fmt(res[1]!)}`);
}

let teacher: SclModel | null = null;
for (const [name, cfg] of variants) {
  t0 = performance.now();
  const { model, result } = await trainScl(base, cfg, { progress: 'lines' });
  const ms = (performance.now() - t0) / result.steps;
  console.error(`${name}: ${result.steps} steps, ${ms.toFixed(0)} ms/step, last loss ${result.lastLoss?.toFixed(3)}`);
  await saveSclWeights(model, join(out, `${name.replace('+', '-')}.safetensors`), { variant: name });
  evaluate(name, model, ms, result.steps);
  if (name === 'CE+SC') teacher = model;
  else model.dispose();
}

if (wanted.has('distilled')) {
  t0 = performance.now();
  const { model: student, result } = await trainSclDistill(base, teacher!, { channels, batchSize, epochs, lrMilestones: milestones, seed: 31 }, { progress: 'lines' });
  const ms = (performance.now() - t0) / result.steps;
  console.error(`distilled: ${result.steps} steps, ${ms.toFixed(0)} ms/step`);
  await saveSclWeights(student, join(out, 'distilled.safetensors'), { variant: 'distilled from CE+SC' });
  evaluate('CE+SC → distilled', student, ms, result.steps);
}

const setup = { baseClasses, perClass, novelClasses, epochs, batchSize, episodes, channels, featDim, milestones, backend: 'wasm' };
writeFileSync(join(out, 'results.json'), JSON.stringify({ setup, rows }, null, 2));
console.log(`| method | 5-way 1-shot % | 5-way 5-shot % | steps | ms / step |\n|---|---|---|---|---|`);
for (const r of rows) console.log(`| ${r.name} | ${r.shot1} | ${r.shot5} | ${r.steps} | ${r.msPerStep.toFixed(0)} |`);
console.log(JSON.stringify(setup));
