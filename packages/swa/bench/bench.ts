// SWA vs the last iterate, accuracy ± 95% CI over seeds:
//  (a) few-sample fine-tuning of a small pretrained BERT on the embedded sentiment sentences, PLM style
//      (Lu et al. 2022): constant high learning rate, averaging every k steps from half of training;
//  (b) CCT semi-supervised segmentation on the embedded digit scenes (the @lel/cct benchmark setting), vision
//      style: per-epoch averaging over the second half, BatchNorm statistics recomputed for the average;
//  (c) glyph classification with a BatchNorm CNN, vision style with SWALR and the BatchNorm update.
//
//   pnpm --filter @lel/swa bench [-- --tasks bert,cct,glyph --seeds 3 --backend wasm]
//
// The BERT task fine-tunes @lel/models' shipped bert-mini-lel (`--bert-model <HF BERT folder>` for another one,
// `--bert-model mlm` for the old setting: a BERT-mini MLM-pretrained here for `--bert-pretrain-steps` on the SOTU
// corpus, cached); `--bert-shots 50,250` runs N = 100 and 500 (shots per class, comma-separated).
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { AdamW, BatchNorm2d, Conv2d, Linear, MaxPool2d, Module, Rng, SGD, fit, meanConfidenceInterval, setGlobalSeed, useBackend, type DataSource } from '@lel/core';
import { glyphClassSplits, loadSentiment, loadTextCorpus, makeDigitScenes, makeGlyphFewShot, SENTIMENT_DOMAINS } from '@lel/datasets/node';
import { BertForSequenceClassification, pretrainMlm, type WordPieceTokenizer } from '@lel/models';
import { loadPretrainedBert, pretrainedBertPath, saveBertPretrained } from '@lel/models/node';
import { CctModel, SmallConvEncoder, evaluateSegmentation, segmentationSet, trainCct, type CctConfigInput } from '@lel/cct';
import { SwaCallback, swaLrSchedule, swaPresets } from '../src/index';

const { values: args } = parseArgs({
  // `pnpm bench -- --tasks bert` may pass the `--` through.
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    tasks: { type: 'string', default: 'bert,cct,glyph' },
    seeds: { type: 'string', default: '3' },
    backend: { type: 'string', default: 'wasm' },
    'bert-model': { type: 'string', default: '' },
    'bert-pretrain-steps': { type: 'string', default: '300' },
    'bert-shots': { type: 'string', default: '32' },
    'bert-epochs': { type: 'string', default: '20' },
    'bert-lr': { type: 'string', default: '0.0005' },
    'cct-steps': { type: 'string', default: '150' },
    'glyph-epochs': { type: 'string', default: '20' },
    'glyph-lr': { type: 'string', default: '0.02' },
    'glyph-classes': { type: 'string', default: '20' },
    'glyph-train': { type: 'string', default: '25' },
    'cct-mode': { type: 'string', default: 'semi' },
    'cct-labelled': { type: 'string', default: '0.125' },
  },
});

const here = dirname(fileURLToPath(import.meta.url));
const cacheDir = join(here, '..', 'node_modules', '.cache', 'lel-swa-bench');

function ci(values: number[]): string {
  if (values.length < 2) return `${(100 * values[0]!).toFixed(2)} (1 seed)`;
  const c = meanConfidenceInterval(values.map((v) => 100 * v));
  return `${c.mean.toFixed(2)} ± ${c.halfWidth.toFixed(2)}`;
}

// ---- (a) BERT few-sample fine-tuning ---------------------------------------------------------------------

/** `--bert-model`: a folder, `mlm` (a BERT-mini pretrained here by MLM on the SOTU corpus, cached), or the shipped bert-mini-lel. */
async function pretrainedBertDir(steps: number): Promise<string> {
  const choice = args['bert-model'];
  if (choice && choice !== 'mlm') return choice;
  if (!choice) return pretrainedBertPath('bert-mini-lel');
  const dir = join(cacheDir, `bert-mini-sotu-${steps}`);
  if (existsSync(join(dir, 'config.json'))) return dir;
  mkdirSync(dir, { recursive: true });
  const t0 = Date.now();
  const { model, tokenizer } = await pretrainMlm({ texts: loadTextCorpus().map((d) => d.text), steps, seed: 0 });
  await saveBertPretrained(model, dir, { tokenizer });
  model.dispose();
  console.log(`[bert] pretrained BERT-mini by MLM for ${steps} steps in ${((Date.now() - t0) / 1000).toFixed(0)} s → ${dir}`);
  return dir;
}

type TextBatch = { ids: tf.Tensor2D; mask: tf.Tensor2D; y: tf.Tensor1D };

function encode(tok: WordPieceTokenizer, texts: string[], labels: number[], seqLen: number): TextBatch {
  const e = tok.encodeBatch(texts, { maxLength: seqLen, truncation: true, padding: 'max_length' });
  return { ids: tf.tensor2d(e.inputIds, undefined, 'int32'), mask: tf.tensor2d(e.attentionMask, undefined, 'int32'), y: tf.tensor1d(labels, 'int32') };
}

function bertAccuracy(model: BertForSequenceClassification, test: TextBatch): number {
  return tf.tidy(() => {
    const pred = tf.argMax(model.forward({ inputIds: test.ids, attentionMask: test.mask }).logits, -1);
    return tf.mean(tf.cast(tf.equal(pred, test.y), 'float32')).dataSync()[0]!;
  });
}

async function benchBert(seeds: number): Promise<string[]> {
  const dir = await pretrainedBertDir(Number(args['bert-pretrain-steps']));
  const rows: string[] = [];
  for (const shots of args['bert-shots'].split(',').map(Number)) rows.push(await benchBertShots(dir, shots, seeds));
  return rows;
}

async function benchBertShots(dir: string, shots: number, seeds: number): Promise<string> {
  const epochs = Number(args['bert-epochs']);
  const lr = Number(args['bert-lr']);
  const seqLen = 48;
  const texts: string[] = [];
  const labels: number[] = [];
  for (const d of SENTIMENT_DOMAINS) {
    const s = loadSentiment({ domain: d });
    texts.push(...s.texts);
    labels.push(...s.labels);
  }
  const last: number[] = [];
  const avg: number[] = [];
  const t0 = Date.now();
  const stepsPerEpoch = Math.ceil((2 * shots) / 16);
  let nAveraged = 0;
  for (let seed = 0; seed < seeds; seed++) {
    const seedStart = Date.now();
    setGlobalSeed(seed);
    // Few-sample split: `shots` examples per class for training, 300 per class for testing, per seed.
    const rng = new Rng(`swa-bench/bert/${seed}`);
    const train: number[] = [];
    const test: number[] = [];
    for (const y of [0, 1]) {
      const idx = rng.shuffle(labels.flatMap((l, i) => (l === y ? [i] : [])));
      train.push(...idx.slice(0, shots));
      test.push(...idx.slice(shots, shots + 300));
    }
    const { model, tokenizer } = await loadPretrainedBert(dir, { numLabels: 2 });
    const testBatch = encode(tokenizer!, test.map((i) => texts[i]!), test.map((i) => labels[i]!), seqLen);
    const data: DataSource<TextBatch> = (_e, r) => {
      const order = r.shuffle([...train]);
      const out: TextBatch[] = [];
      for (let s = 0; s < order.length; s += 16) {
        const ids = order.slice(s, s + 16);
        out.push(encode(tokenizer!, ids.map((i) => texts[i]!), ids.map((i) => labels[i]!), seqLen));
      }
      return out;
    };
    // PLM-style SWA: constant high learning rate, averaging every k steps from half of training.
    const swa = new SwaCallback({
      ...swaPresets.plm,
      every: 2,
      applyAtEnd: false,
      evaluate: (m) => ({ accuracy: bertAccuracy(m as BertForSequenceClassification, testBatch) }),
    });
    const opt = new AdamW(model.trainableParameters(), { lr, weightDecay: 0.01 });
    await fit({
      model,
      optimizer: opt,
      epochs,
      seed,
      stepsPerEpoch,
      data: { labeled: data },
      step: (b) => {
        const logits = model.forward({ inputIds: b.ids, attentionMask: b.mask }).logits;
        const logp = tf.logSoftmax(logits);
        return { total: tf.neg(tf.mean(tf.sum(tf.mul(tf.oneHot(b.y, 2), logp), -1))) as tf.Scalar };
      },
      callbacks: [swa],
      progress: 'none',
    });
    model.eval();
    last.push(bertAccuracy(model, testBatch));
    avg.push(swa.lastEval!.accuracy!);
    nAveraged = swa.averagedModel!.nAveraged;
    console.log(`[bert] N=${2 * shots} seed ${seed}: last ${(100 * last.at(-1)!).toFixed(1)}, SWA ${(100 * avg.at(-1)!).toFixed(1)} (${nAveraged} models, ${((Date.now() - seedStart) / 1000).toFixed(0)} s)`);
    swa.dispose();
    opt.dispose();
    model.dispose();
    tf.dispose([testBatch.ids, testBatch.mask, testBatch.y]);
  }
  const model = args['bert-model'] === 'mlm' ? `BERT-mini MLM-pretrained here for ${args['bert-pretrain-steps']} steps on the SOTU corpus` : args['bert-model'] || 'bert-mini-lel';
  const cfg = `${model}; N = ${2 * shots} (${shots} sentences per class), 600 test sentences, seq ${seqLen}, batch 16, ${epochs} epochs (${epochs * stepsPerEpoch} steps), AdamW lr ${lr} constant, SWA every 2 steps from 50% (${nAveraged} models)`;
  console.log(`[bert] N=${2 * shots}: ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  return `| sentiment, BERT few-sample, N = ${2 * shots} (test acc.) | ${ci(last)} | ${ci(avg)} | ${cfg} |`;
}

// ---- (b) CCT semi-supervised segmentation ------------------------------------------------------------------

async function benchCct(seeds: number): Promise<string[]> {
  const STEPS = Number(args['cct-steps']);
  const SIZE = 32;
  const N_TRAIN = 128;
  const BATCH = 8;
  const ratio = Number(args['cct-labelled']);
  const mode = args['cct-mode'] as 'semi' | 'supervised';
  const last: number[] = [];
  const avg: number[] = [];
  const t0 = Date.now();
  for (let seed = 0; seed < seeds; seed++) {
    setGlobalSeed(seed);
    const train = makeDigitScenes({ n: N_TRAIN, size: SIZE, seed: 'bench-train', split: 'train' });
    const valData = makeDigitScenes({ n: 64, size: SIZE, seed: 'bench-val', split: 'test' });
    const order = new Rng(`split/${seed}`).permutation(N_TRAIN);
    const nl = Math.round(N_TRAIN * ratio);
    const labelled = segmentationSet(train, order.slice(0, nl));
    const unlabelled = segmentationSet(train, order.slice(nl));
    const val = segmentationSet(valData);
    const ipe = mode === 'semi' ? Math.ceil((N_TRAIN - nl) / BATCH) : Math.ceil(nl / BATCH);
    // The @lel/cct benchmark configuration (see its README).
    const config: CctConfigInput = {
      numClasses: train.numClasses,
      mode,
      perturbations: { vat: 1, dropout: 2, cutout: 2, contextMasking: 1, objectMasking: 1, featureDrop: 2, featureNoise: 2 },
      vat: { xi: 0.1, eps: 2.0, iterations: 1 },
      cutout: { erase: 0.4, minPixels: 10 },
      optim: { lr: 0.05, momentum: 0.9, weightDecay: 1e-4, encoderLrScale: 1, polyPower: 0.9 },
      train: { epochs: Math.max(1, Math.round(STEPS / ipe)), labelledBatchSize: BATCH, unlabelledBatchSize: BATCH, valEvery: 1000, earlyStop: 0, seed, weakLabels: false },
    };
    const rng = new Rng(`init/${seed}`);
    const model = new CctModel(new SmallConvEncoder({ widths: [16, 32, 32], rng }), config, rng);
    // Vision-style SWA: once per epoch over the second half; BatchNorm statistics recomputed on the training images.
    const swa = new SwaCallback<tf.Tensor4D>({
      ...swaPresets.vision,
      swaStart: 0.5,
      applyAtEnd: false,
      evaluate: async (m) => ({ miou: (await evaluateSegmentation(m as CctModel, val, { numClasses: train.numClasses })).miou }),
      bnData: () => tf.tidy(() => tf.split(tf.concat([labelled.images, unlabelled.images]), N_TRAIN / BATCH)) as tf.Tensor4D[],
      bnForward: (m, x) => {
        const out = (m as CctModel).forward(x);
        x.dispose();
        return out;
      },
    });
    await trainCct({ model, labelled, unlabelled: mode === 'semi' ? unlabelled : undefined, maxSteps: STEPS, callbacks: [swa as never], progress: 'none' });
    model.eval();
    last.push((await evaluateSegmentation(model, val, { numClasses: train.numClasses })).miou);
    avg.push(swa.lastEval!.miou!);
    console.log(`[cct] seed ${seed}: last ${(100 * last.at(-1)!).toFixed(1)}, SWA ${(100 * avg.at(-1)!).toFixed(1)} (${swa.averagedModel!.nAveraged} models)`);
    swa.dispose();
    model.dispose();
    tf.dispose([labelled.images, labelled.labels, unlabelled.images, unlabelled.labels, val.images, val.labels]);
  }
  console.log(`[cct] ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  const what = mode === 'semi' ? 'CCT semi-supervised (9 aux decoders)' : 'CCT model, supervised mode';
  const cfg = `${what}, SmallConvEncoder 16-32-32, ${N_TRAIN} digit scenes ${SIZE}×${SIZE}, ${ratio} labelled, ${STEPS} steps SGD + poly lr (unchanged), SWA per epoch from 50%, BN recomputed`;
  return [`| digit scenes, ${what}, ${ratio} labelled (val mIoU) | ${ci(last)} | ${ci(avg)} | ${cfg} |`];
}

// ---- (c) glyph classification with a BatchNorm CNN ----------------------------------------------------------

/** [conv3×3 → BatchNorm → ReLU → maxpool2] × 2 → linear. */
class BnCnn extends Module {
  private readonly c1: Conv2d;
  private readonly b1: BatchNorm2d;
  private readonly c2: Conv2d;
  private readonly b2: BatchNorm2d;
  private readonly head: Linear;
  private readonly pool = new MaxPool2d(2);
  constructor(size: number, classes: number, seed: number) {
    super();
    const rng = new Rng(`bncnn/${seed}`);
    this.c1 = this.registerModule('c1', new Conv2d(1, 16, 3, { padding: 'same', rng }));
    this.b1 = this.registerModule('b1', new BatchNorm2d(16));
    this.c2 = this.registerModule('c2', new Conv2d(16, 32, 3, { padding: 'same', rng }));
    this.b2 = this.registerModule('b2', new BatchNorm2d(32));
    const s = Math.floor(Math.floor(size / 2) / 2);
    this.head = this.registerModule('head', new Linear(32 * s * s, classes, { rng }));
  }
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const h1 = this.pool.forward(tf.relu(this.b1.forward(this.c1.forward(x))));
      const h2 = this.pool.forward(tf.relu(this.b2.forward(this.c2.forward(h1))));
      return this.head.forward(tf.reshape(h2, [h2.shape[0]!, -1]));
    });
  }
}

async function benchGlyph(seeds: number): Promise<string[]> {
  const size = 20;
  const classes = Number(args['glyph-classes']);
  const trainPer = Number(args['glyph-train']);
  const perClass = trainPer + 15;
  const epochs = Number(args['glyph-epochs']);
  const lr = Number(args['glyph-lr']);
  const data = makeGlyphFewShot({ classes: glyphClassSplits(0).base.slice(0, classes), perClass, size, seed: 'swa-bench' });
  const rows = (keep: (j: number) => boolean) => Array.from({ length: data.n }, (_, i) => i).filter((i) => keep(i % perClass));
  const trainIdx = rows((j) => j < trainPer);
  const testIdx = rows((j) => j >= trainPer);
  const per = size * size;
  const pack = (idx: number[]) => {
    const x = new Float32Array(idx.length * per);
    idx.forEach((i, r) => x.set(data.images.subarray(i * per, (i + 1) * per), r * per));
    return { x: tf.tensor4d(x, [idx.length, size, size, 1]), y: tf.tensor1d(Int32Array.from(idx, (i) => data.labels[i]!), 'int32') };
  };
  type B = { x: tf.Tensor4D; y: tf.Tensor1D };
  const test = pack(testIdx);
  const accuracy = (m: Module) =>
    tf.tidy(() => tf.mean(tf.cast(tf.equal(tf.argMax((m as BnCnn).forward(test.x), -1), test.y), 'float32')).dataSync()[0]!);
  const batchSize = 32;
  const stepsPerEpoch = Math.ceil(trainIdx.length / batchSize);
  const last: number[] = [];
  const avg: number[] = [];
  const t0 = Date.now();
  for (let seed = 0; seed < seeds; seed++) {
    const model = new BnCnn(size, classes, seed);
    const stream: DataSource<B> = (_e, rng) => {
      const order = rng.shuffle([...trainIdx]);
      const out: B[] = [];
      for (let s = 0; s < order.length; s += batchSize) out.push(pack(order.slice(s, s + batchSize)));
      return out;
    };
    // Vision SWA (Izmailov et al.): SGD, the last 25% of epochs averaged once per epoch, SWALR cos-annealed
    // to swa_lr = lr/2 over 2 epochs, BatchNorm statistics recomputed on the training set for the average.
    const swaStart = 0.75;
    const swa = new SwaCallback<B>({
      ...swaPresets.vision,
      swaStart,
      applyAtEnd: false,
      evaluate: (m) => ({ accuracy: accuracy(m) }),
      bnData: () => {
        const out: B[] = [];
        for (let s = 0; s < trainIdx.length; s += 64) out.push(pack(trainIdx.slice(s, s + 64)));
        return out;
      },
      bnForward: (m, b) => {
        const out = (m as BnCnn).forward(b.x);
        tf.dispose([b.x, b.y]);
        return out;
      },
    });
    const schedule = swaLrSchedule({ base: lr, swaLr: lr / 2, startStep: Math.floor(swaStart * epochs) * stepsPerEpoch, annealEpochs: 2, unit: 'epoch', stepsPerEpoch });
    await fit({
      model,
      optimizer: new SGD(model.trainableParameters(), { lr, momentum: 0.9, weightDecay: 5e-4 }),
      schedule,
      epochs,
      seed,
      stepsPerEpoch,
      data: { labeled: stream },
      step: (b) => {
        const logp = tf.logSoftmax(model.forward(b.x));
        return { total: tf.neg(tf.mean(tf.sum(tf.mul(tf.oneHot(b.y, classes), logp), -1))) as tf.Scalar };
      },
      callbacks: [swa],
      progress: 'none',
    });
    model.eval();
    last.push(accuracy(model));
    avg.push(swa.lastEval!.accuracy!);
    console.log(`[glyph] seed ${seed}: last ${(100 * last.at(-1)!).toFixed(1)}, SWA ${(100 * avg.at(-1)!).toFixed(1)} (${swa.averagedModel!.nAveraged} models)`);
    swa.dispose();
    model.dispose();
  }
  tf.dispose([test.x, test.y]);
  console.log(`[glyph] ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  const cfg = `CNN 16-32 with BatchNorm (${classes} classes × ${trainPer} train drawings, 20×20), SGD lr ${lr} momentum 0.9 wd 5e-4, ${epochs} epochs, SWA per epoch over the last 25% with SWALR → ${lr / 2} (cos, 2 epochs), BN recomputed`;
  return [`| glyph classification ${classes} classes, BatchNorm CNN (test acc.) | ${ci(last)} | ${ci(avg)} | ${cfg} |`];
}

async function main(): Promise<void> {
  await useBackend(args.backend as never);
  const seeds = Number(args.seeds);
  const rows: string[] = [];
  for (const t of args.tasks.split(',')) rows.push(...(t === 'bert' ? await benchBert(seeds) : t === 'glyph' ? await benchGlyph(seeds) : await benchCct(seeds)));
  console.log(`\nbackend ${tf.getBackend()}, ${seeds} seeds`);
  console.log('| task | last iterate % | SWA % | configuration |\n|---|---|---|---|');
  for (const r of rows) console.log(r);
}

await main();
