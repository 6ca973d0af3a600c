// Benchmark of @lel/vib (run: pnpm --filter @lel/vib bench). Env: BENCH_QUICK=1 for a seconds-long smoke run,
// BENCH_PART=text|mil|all (default all), BENCH_OUT=<file.json> (default bench/results.json), BENCH_LR (fine-tuning lr),
// BENCH_MODEL=<HF BERT folder> (default: @lel/models' shipped bert-mini-lel) or BENCH_MODEL=mlm (the old setting: a
// hidden-64 BERT briefly MLM-pretrained here, cached in BENCH_CACHE=<dir>, default <os tmpdir>/lel-vib-bench),
// BENCH_PROBE=1 (one seed, N = 100, no β sweep: for choosing the learning rate).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { meanConfidenceInterval, Rng, toTensorMap, useBackend } from '@lel/core';
import { readSafetensorsFile, writeSafetensorsFile } from '@lel/core/node';
import { loadMnistDigits, loadTextCorpus, sentimentDomainShift } from '@lel/datasets/node';
import { pretrainMlm, WordPieceTokenizer } from '@lel/models';
import { loadPretrainedBert, pretrainedBertPath } from '@lel/models/node';
import type { BertConfig } from '@lel/models';
import { evaluateMil, evaluateText, fineTuneText, makeMilBags, trainMilIb } from '../src/index';
import type { TextMethod, TextTask } from '../src/index';

const QUICK = process.env.BENCH_QUICK === '1';
const PART = process.env.BENCH_PART ?? 'all';
const OUT = process.env.BENCH_OUT ?? new URL('./results.json', import.meta.url).pathname;
await useBackend('wasm');
const t0 = Date.now();
const log = (m: string) => console.log(`[${((Date.now() - t0) / 1000).toFixed(0)}s] ${m}`);
const pct = (xs: number[]) => {
  if (xs.length < 2) return `${(100 * xs[0]!).toFixed(1)} (1 seed)`;
  const ci = meanConfidenceInterval(xs, 0.95);
  return `${(100 * ci.mean).toFixed(1)} ± ${(100 * (Number.isFinite(ci.halfWidth) ? ci.halfWidth : 0)).toFixed(1)}`;
};
const results: Record<string, unknown> = { backend: tf.getBackend(), quick: QUICK };

// ---------------------------------------------------------------- text: VIBERT vs plain fine-tuning
const SEEDS = QUICK || process.env.BENCH_PROBE === '1' ? [0] : [0, 1, 2];
const SIZES = QUICK || process.env.BENCH_PROBE === '1' ? [100] : [100, 500];
const MODEL = process.env.BENCH_MODEL || pretrainedBertPath('bert-mini-lel');
// The old in-bench encoder (BENCH_MODEL=mlm).
const MLM_BERT = { hiddenSize: 64, numHiddenLayers: 2, numAttentionHeads: 2, intermediateSize: 128, maxPositionEmbeddings: 64 };
const MAX_LEN = 48;
const PRETRAIN_STEPS = QUICK ? 20 : 250;

function subsetOf(task: TextTask, n: number, seed: number): TextTask {
  // Stratified: n/2 per class, seeded.
  const rng = new Rng(`vib-bench-subset/${seed}/${n}`);
  const idx: number[] = [];
  for (const y of [0, 1]) idx.push(...rng.shuffle([...Array(task.labels.length).keys()].filter((i) => task.labels[i] === y)).slice(0, n / 2));
  idx.sort((a, b) => a - b);
  return { texts: idx.map((i) => task.texts[i]!), labels: Int32Array.from(idx, (i) => task.labels[i]!) };
}

if (PART === 'all' || PART === 'text') {
  const shift = sentimentDomainShift({ source: 'yelp', seed: 0 });
  // Out-of-domain test: 400 sentences (200 per class) from each other domain, fixed across runs.
  const oodParts = Object.values(shift.outOfDomainTest).map((d, k) => subsetOf(d, 400, 1000 + k));
  const ood: TextTask = { texts: oodParts.flatMap((d) => d.texts), labels: Int32Array.from(oodParts.flatMap((d) => Array.from(d.labels))) };
  let encoderWeights: Map<string, tf.Tensor>;
  let tokenizer: WordPieceTokenizer;
  let bert: Partial<BertConfig>;
  let mlmLoss: [number, number] | null = null;
  if (MODEL !== 'mlm') {
    // A pretrained HF BERT folder (default: the shipped bert-mini-lel); its BertModel weights initialise every run.
    const pre = await loadPretrainedBert(MODEL);
    if (!pre.tokenizer) throw new Error(`BENCH_MODEL=${MODEL} has no vocab.txt or tokenizer.json`);
    encoderWeights = new Map([...pre.model.stateDict()].map(([k, v]) => [k, tf.clone(v)] as const));
    tokenizer = pre.tokenizer;
    const c = pre.config;
    bert = { hiddenSize: c.hiddenSize, numHiddenLayers: c.numHiddenLayers, numAttentionHeads: c.numAttentionHeads, intermediateSize: c.intermediateSize, maxPositionEmbeddings: c.maxPositionEmbeddings, typeVocabSize: c.typeVocabSize, layerNormEps: c.layerNormEps, hiddenDropoutProb: c.hiddenDropoutProb, attentionProbsDropoutProb: c.attentionProbsDropoutProb };
    pre.model.dispose();
    log(`encoder: ${MODEL} (hidden ${c.hiddenSize}, ${c.numHiddenLayers} layers, vocabulary ${tokenizer.vocabSize})`);
  } else {
    // Brief MLM pretraining of a small encoder on unlabelled text: State of the Union speeches + the source
    // domain's training sentences (no test text, no labels).
    bert = MLM_BERT;
    const corpus = [...loadTextCorpus({ maxDocuments: QUICK ? 3 : 40 }).map((d) => d.text), ...shift.train.texts];
    const cacheDir = process.env.BENCH_CACHE ?? join(tmpdir(), 'lel-vib-bench');
    const cacheTag = `${cacheDir}/mlm-${PRETRAIN_STEPS}`;
    if (existsSync(`${cacheTag}.safetensors`)) {
      encoderWeights = toTensorMap(await readSafetensorsFile(`${cacheTag}.safetensors`));
      const meta = JSON.parse(readFileSync(`${cacheTag}.json`, 'utf8')) as { vocab: string[]; mlmLoss: [number, number] };
      tokenizer = new WordPieceTokenizer(meta.vocab);
      mlmLoss = meta.mlmLoss;
      log(`reusing the MLM-pretrained encoder in ${cacheTag}.safetensors`);
    } else {
      log(`MLM pretraining ${PRETRAIN_STEPS} steps on ${corpus.length} texts`);
      const pre = await pretrainMlm({ texts: corpus, vocabSize: 3000, config: MLM_BERT, seqLength: MAX_LEN, batchSize: 32, steps: PRETRAIN_STEPS, lr: 1e-3, seed: 0 });
      const mean10 = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      mlmLoss = [mean10(pre.losses.slice(0, 10)), mean10(pre.losses.slice(-10))];
      encoderWeights = new Map([...pre.model.stateDict()].map(([k, v]) => [k, tf.clone(v)] as const));
      tokenizer = pre.tokenizer;
      pre.model.dispose();
      mkdirSync(cacheDir, { recursive: true });
      await writeSafetensorsFile(`${cacheTag}.safetensors`, encoderWeights);
      writeFileSync(`${cacheTag}.json`, JSON.stringify({ vocab: tokenizer.vocab, mlmLoss }));
    }
    log(`MLM loss (first 10 steps → last 10) ${mlmLoss[0].toFixed(3)} → ${mlmLoss[1].toFixed(3)}`);
  }
  const common = { lr: Number(process.env.BENCH_LR ?? 1e-3), batchSize: 16, maxLength: MAX_LEN, ibDim: 32, headInitStd: null, beta: 1e-5 };
  const epochsFor = (n: number) => (QUICK ? 2 : n <= 100 ? 20 : 6);

  const run = async (method: TextMethod, train: TextTask, seed: number, extra: Record<string, unknown> = {}) => {
    const started = Date.now();
    const { model } = await fineTuneText(train, { method, tokenizer, bert, encoderWeights, config: { ...common, epochs: epochsFor(train.texts.length), seed, ...extra } });
    const tr = await evaluateText(model, tokenizer, train, { maxLength: MAX_LEN });
    const ind = await evaluateText(model, tokenizer, shift.inDomainTest, { maxLength: MAX_LEN });
    const oo = await evaluateText(model, tokenizer, ood, { maxLength: MAX_LEN });
    model.dispose();
    return { trainLoss: tr.loss, inAcc: ind.accuracy, inLoss: ind.loss, oodAcc: oo.accuracy, gap: ind.loss - tr.loss, seconds: (Date.now() - started) / 1000 };
  };

  const table: Record<string, unknown>[] = [];
  for (const n of SIZES) {
    for (const method of ['plain', 'vib'] as const) {
      const rs = [];
      for (const seed of SEEDS) {
        const r = await run(method, subsetOf(shift.train, n, seed), seed);
        log(`N=${n} ${method} seed ${seed}: in ${r.inAcc.toFixed(3)} ood ${r.oodAcc.toFixed(3)} gap ${r.gap.toFixed(3)} (${r.seconds.toFixed(0)} s)`);
        rs.push(r);
      }
      table.push({ n, method, inDomain: pct(rs.map((r) => r.inAcc)), outOfDomain: pct(rs.map((r) => r.oodAcc)), runs: rs });
    }
  }
  // The overfitting figure: train / held-out loss gap across β (N = 100, seed 0; β = 0 is the deterministic ablation).
  const betas = QUICK || process.env.BENCH_PROBE === '1' ? [] : [0, 1e-5, 1e-3, 1e-2, 1e-1];
  const gap: Record<string, unknown>[] = [];
  const small = subsetOf(shift.train, SIZES[0]!, 0);
  for (const beta of betas) {
    const r = await run(beta === 0 ? 'deterministic' : 'vib', small, 0, { beta });
    log(`gap β=${beta}: train ${r.trainLoss.toFixed(3)} held-out ${r.inLoss.toFixed(3)} gap ${r.gap.toFixed(3)} acc ${r.inAcc.toFixed(3)}`);
    gap.push({ beta, ...r });
  }
  tf.dispose([...encoderWeights.values()]);
  results.text = {
    config: { source: 'yelp', ood: Object.keys(shift.outOfDomainTest), inDomainTest: shift.inDomainTest.texts.length, oodTest: ood.texts.length, model: MODEL === 'mlm' ? 'mlm' : MODEL.replace(/^.*\/packages\//, 'packages/'), bert, maxLength: MAX_LEN, ...(MODEL === 'mlm' ? { pretrainSteps: PRETRAIN_STEPS, mlmLoss } : {}), fineTune: common, epochs: Object.fromEntries(SIZES.map((n) => [n, epochsFor(n)])), seeds: SEEDS },
    table,
    gap,
  };
}

// ---------------------------------------------------------------- MIL: bags of MNIST digits, positive when a 9 is present
if (PART === 'all' || PART === 'mil') {
  const POS = 9;
  const features = (split: 'train' | 'test') => {
    // 2×2 average pooling: 28×28 → 14×14 = 196 features per digit.
    const pool = loadMnistDigits(split);
    const xs: number[] = [];
    const ys: number[] = [];
    pool.byClass.forEach((imgs, c) => {
      for (let i = 0; i < pool.counts[c]!; i++) {
        for (let r = 0; r < 14; r++) for (let q = 0; q < 14; q++) {
          const at = (dr: number, dq: number) => imgs[i * 784 + (2 * r + dr) * 28 + 2 * q + dq]!;
          xs.push((at(0, 0) + at(0, 1) + at(1, 0) + at(1, 1)) / 4);
        }
        ys.push(c);
      }
    });
    return { x: Float32Array.from(xs), y: Int32Array.from(ys) };
  };
  const tr = features('train');
  const te = features('test');
  const numTrain = QUICK ? 40 : 200;
  const cfg = { hiddenDim: 64, attentionDim: 32, epochs: QUICK ? 1 : 8, lr: 5e-4, topK: 8 };
  const rows: Record<string, unknown>[] = [];
  for (const useIb of [false, true]) {
    const accs: number[] = [];
    for (const seed of SEEDS) {
      const trainBags = makeMilBags(tr.x, tr.y, 196, { numBags: numTrain, positiveClass: POS, bagSize: [8, 16], positivesPerBag: [1, 2], seed: `train/${seed}` });
      const testBags = makeMilBags(te.x, te.y, 196, { numBags: 200, positiveClass: POS, bagSize: [8, 16], positivesPerBag: [1, 2], seed: `test/${seed}` });
      const { model } = await trainMilIb(trainBags, { ...cfg, useIb, seed });
      const acc = (await evaluateMil(model, testBags)).accuracy;
      model.dispose();
      log(`MIL useIb=${useIb} seed ${seed}: bag accuracy ${acc.toFixed(3)}`);
      accs.push(acc);
    }
    rows.push({ useIb, accuracy: pct(accs), accs });
  }
  results.mil = { config: { positiveClass: POS, features: '14x14 average-pooled MNIST pixels (196)', bagSize: [8, 16], positivesPerBag: [1, 2], trainBags: numTrain, testBags: 200, ...cfg, seeds: SEEDS }, rows };
}

results.seconds = (Date.now() - t0) / 1000;
writeFileSync(OUT, JSON.stringify(results, null, 2));
log(`wrote ${OUT}`);
