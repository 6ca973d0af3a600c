import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { Rng } from '@lel/core';
import { loadMnistDigits, readImage } from '@lel/datasets/node';
import { BernoulliMaskMil, MilIbConfigSchema, makeMilBags, milIb, predictBag, type MilBag } from '@lel/vib';
import { commonShape } from './common';
import type { EvalResult, Prediction, Recipe } from './types';
import { loadBest } from '../weights';

/** Side of the embedded MNIST digits. */
const DIGIT = 28;

/** An integer range [min, max], 1 <= min <= max. */
const MinMax = z.tuple([z.number().int().min(1), z.number().int().min(1)]).refine(([lo, hi]) => lo <= hi, { message: '[min, max] needs min <= max' });

/**
 * Bags of embedded MNIST digits (`@lel/datasets` `loadMnistDigits`, `@lel/vib` `makeMilBags`): a bag is positive
 * when it holds at least one digit of `positiveClass`. Training bags draw from the digits' train split, validation
 * bags from the test split (unseen digits). Every instance is a digit average-pooled by `pool` (2: 14×14 = 196
 * features, as the `@lel/vib` benchmark).
 */
const MilData = z
  .object({
    /** The digit whose presence makes a bag positive. */
    positiveClass: z.number().int().min(0).max(9).default(9),
    trainBags: z.number().int().min(1).default(200),
    /** Held-out bags (scored during training and by `lel eval`). */
    valBags: z.number().int().min(2).default(200),
    /** Instances per bag, uniformly in [min, max]. */
    bagSize: MinMax.default([8, 16]),
    /** Positive instances in a positive bag, uniformly in [min, max] (capped at the bag size). */
    positivesPerBag: MinMax.default([1, 2]),
    /** Share of positive bags. */
    positiveFraction: z.number().gt(0).lt(1).default(0.5),
    /** Average-pooling factor of the 28×28 digits (a divisor of 28): (28/pool)² features per instance. */
    pool: z
      .number()
      .int()
      .refine((p) => p >= 1 && DIGIT % p === 0, { message: 'must divide 28 (1, 2, 4, 7, 14 or 28)' })
      .default(2),
    seed: z.number().int().min(0).default(0),
  })
  .strict()
  .prefault({});
type MilData = z.output<typeof MilData>;

/**
 * `@lel/vib`'s MilIbConfigSchema (defaults: the official WSI-finetuning code) minus what the data and the run decide:
 * `inputDim` ((28/pool)²), `numClasses` (2: the bag has the digit or not), `seed` (the run's) and `epochs` (in `train`).
 */
const MilSection = MilIbConfigSchema.omit({ inputDim: true, numClasses: true, seed: true, epochs: true }).strict();

/** The training-length key in the recipe's one `train` section, with @lel/vib's default (the official 50 epochs). */
const MilLength = { epochs: z.number().int().min(1).default(MilIbConfigSchema.shape.epochs.parse(undefined)) };

function schemaFor(name: string) {
  return z.object({ ...commonShape(name, MilLength), data: MilData, mil: MilSection.prefault({}) }).strict();
}
type Config = z.output<ReturnType<typeof schemaFor>>;

function classNames(data: MilData): string[] {
  return ['negative', `contains ${data.positiveClass}`];
}

/** One 28×28 digit (784 values in [0, 1]) average-pooled by `pool` into `out` at `offset`. */
function poolDigit(src: Float32Array, srcOffset: number, pool: number, out: Float32Array, offset: number): void {
  const side = DIGIT / pool;
  const area = pool * pool;
  for (let r = 0; r < side; r++) {
    for (let q = 0; q < side; q++) {
      let s = 0;
      for (let dr = 0; dr < pool; dr++) for (let dq = 0; dq < pool; dq++) s += src[srcOffset + (r * pool + dr) * DIGIT + q * pool + dq]!;
      out[offset + r * side + q] = s / area;
    }
  }
}

/** Instance features of one split of the embedded digits: row-major [N, (28/pool)²] and the digit classes. */
function digitFeatures(split: 'train' | 'test', pool: number): { x: Float32Array; y: Int32Array; dim: number } {
  const digits = loadMnistDigits(split);
  const dim = (DIGIT / pool) ** 2;
  const n = digits.counts.reduce((a, b) => a + b, 0);
  const x = new Float32Array(n * dim);
  const y = new Int32Array(n);
  let i = 0;
  digits.byClass.forEach((imgs, c) => {
    for (let j = 0; j < digits.counts[c]!; j++, i++) {
      poolDigit(imgs, j * DIGIT * DIGIT, pool, x, i * dim);
      y[i] = c;
    }
  });
  return { x, y, dim };
}

export interface MilSets {
  train: MilBag[];
  val: MilBag[];
  dim: number;
  describe: string;
}

/** The training and validation bags of a `data` section (deterministic in `data.seed`). */
export function milSets(d: MilData): MilSets {
  const options = { positiveClass: d.positiveClass, bagSize: d.bagSize, positivesPerBag: d.positivesPerBag, positiveFraction: d.positiveFraction };
  const tr = digitFeatures('train', d.pool);
  const te = digitFeatures('test', d.pool);
  const train = makeMilBags(tr.x, tr.y, tr.dim, { ...options, numBags: d.trainBags, seed: `lel/mil-train/${d.seed}` });
  const val = makeMilBags(te.x, te.y, te.dim, { ...options, numBags: d.valBags, seed: `lel/mil-val/${d.seed}` });
  const pos = val.filter((b) => b.label === 1).length;
  if (pos === 0 || pos === val.length) throw new Error(`data.valBags=${d.valBags} with data.positiveFraction=${d.positiveFraction} gives no ${pos === 0 ? 'positive' : 'negative'} validation bag; raise data.valBags`);
  const side = DIGIT / d.pool;
  return {
    train,
    val,
    dim: tr.dim,
    describe: `embedded MNIST digits in bags of ${d.bagSize[0]}–${d.bagSize[1]} (${side}×${side} = ${tr.dim} features each), positive when a ${d.positiveClass} is present: ${d.trainBags} training bags (train split), ${d.valBags} validation bags (test split)`,
  };
}

/** The `@lel/vib` milIb config of a run: the `mil` section, the `train` length key, the data's sizes and the run seed. */
function methodConfig(config: Config, inputDim: number) {
  return { ...config.mil, epochs: config.train.epochs, inputDim, numClasses: 2, seed: config.seed };
}

/** The network of a run, for `lel eval` / `lel predict` (weights from best/). */
function buildModel(config: Config, inputDim: number): BernoulliMaskMil {
  const { lr: _lr, weightDecay: _wd, bagWeight: _bw, infoWeight: _iw, ...arch } = config.mil;
  return new BernoulliMaskMil({ ...arch, inputDim, numClasses: 2, rng: new Rng(`mil-init/${config.seed}`) });
}

/** Area under the ROC curve of `scores` for the binary `labels` (Mann–Whitney, ties count one half). */
function rocAuc(scores: number[], labels: number[]): number {
  let pairs = 0;
  let wins = 0;
  scores.forEach((sp, i) => {
    if (labels[i] !== 1) return;
    scores.forEach((sn, j) => {
      if (labels[j] !== 0) return;
      pairs++;
      wins += sp > sn ? 1 : sp === sn ? 0.5 : 0;
    });
  });
  return wins / pairs;
}

/**
 * Bag accuracy, ROC AUC and F1 (positive class) on the validation bags, the confusion matrix, and `localisation`:
 * the share of positive bags whose most-attended instance is a positive one (does the model find the digit?).
 */
async function milEval(model: BernoulliMaskMil, bags: readonly MilBag[], data: MilData): Promise<EvalResult> {
  const wasTraining = model.training;
  model.eval();
  try {
    const confusion = [
      [0, 0],
      [0, 0],
    ];
    const scores: number[] = [];
    let hits = 0;
    let positives = 0;
    for (const bag of bags) {
      const { probabilities, attention } = await predictBag(model, bag);
      const pred = probabilities[1]! > probabilities[0]! ? 1 : 0;
      confusion[bag.label]![pred]!++;
      scores.push(probabilities[1]!);
      if (bag.label === 1) {
        positives++;
        if (bag.positives.includes(attention.indexOf(Math.max(...attention)))) hits++;
      }
    }
    const [[tn, fp], [fn, tp]] = confusion as [[number, number], [number, number]];
    return {
      metrics: {
        bag_accuracy: (tp + tn) / bags.length,
        bag_auc: rocAuc(scores, bags.map((b) => b.label)),
        bag_f1: (2 * tp) / (2 * tp + fp + fn),
        localisation: hits / positives,
      },
      classNames: classNames(data),
      confusion,
    };
  } finally {
    model.train(wasTraining);
  }
}

const IMAGE_EXT = /\.(png|jpe?g)$/i;

/**
 * The bag of one `predict` input: a folder (every PNG/JPEG inside is one instance), or one image (a strip of
 * square tiles side by side when at least twice as wide as tall, e.g. 28·k × 28 for k digits; else one instance).
 * Instances are read as greyscale, resized to 28×28 (digits light on dark, as MNIST) and pooled as in training.
 */
function bagFromInput(input: string, pool: number): { features: Float32Array; n: number; dim: number; instances: string[] } {
  const tiles: { data: Float32Array; height: number; width: number; name: string }[] = [];
  if (fs.existsSync(input) && fs.statSync(input).isDirectory()) {
    const files = fs.readdirSync(input).filter((f) => IMAGE_EXT.test(f)).sort();
    if (files.length === 0) throw new Error(`predict: the folder ${input} holds no PNG or JPEG image (one image per instance of the bag)`);
    for (const f of files) {
      const img = readImage(path.join(input, f), { channels: 1 });
      tiles.push({ data: img.data, height: img.height, width: img.width, name: f });
    }
  } else {
    const img = readImage(input, { channels: 1 });
    const k = img.width >= 2 * img.height ? Math.floor(img.width / img.height) : 1;
    const w = k === 1 ? img.width : img.height;
    for (let t = 0; t < k; t++) {
      const data = new Float32Array(img.height * w);
      for (let r = 0; r < img.height; r++) data.set(img.data.subarray(r * img.width + t * w, r * img.width + t * w + w), r * w);
      tiles.push({ data, height: img.height, width: w, name: k === 1 ? path.basename(input) : `${path.basename(input)}#${t}` });
    }
  }
  const dim = (DIGIT / pool) ** 2;
  const features = new Float32Array(tiles.length * dim);
  tiles.forEach((t, i) => {
    const digit = tf.tidy(() => tf.image.resizeBilinear(tf.tensor4d(t.data, [1, t.height, t.width, 1]), [DIGIT, DIGIT]).dataSync() as Float32Array);
    poolDigit(digit, 0, pool, features, i * dim);
  });
  return { features, n: tiles.length, dim, instances: tiles.map((t) => t.name) };
}

function makeMilRecipe(name: 'mil-ib'): Recipe<Config> {
  const schema = schemaFor(name);
  return {
    name,
    description: 'Bernoulli-mask information bottleneck for multiple-instance learning: bags of digits, positive when a 9 is present; mil.useIb=false gives CLAM-SB (@lel/vib)',
    package: '@lel/vib',
    task: 'multiple-instance',
    schema,
    // The official optimisation (Adam 1e-4, 50 epochs, one bag per step) with the @lel/vib benchmark's model sizes for
    // 196-feature digits and bags of 8–16 (hidden 64, attention 32, top-8 at test) in place of the WSI sizes (512, 256,
    // top-1024, which would keep every instance); one evaluation and one checkpoint per epoch of 200 bags.
    defaults: {
      mil: { hiddenDim: 64, attentionDim: 32, topK: 8 },
      train: { logEvery: 20, evalEvery: 200, checkpointEvery: 200 },
    },
    moved: { 'mil.epochs': 'moved to train.epochs' },
    async prepare(config, ctx) {
      const sets = milSets(config.data);
      ctx.log(`[data] ${sets.describe}`);
      const m = config.mil;
      return {
        // The package's method itself: same seeds, generators and one-bag steps as @lel/vib's trainMilIb.
        method: milIb,
        config: methodConfig(config, sets.dim),
        data: { bags: sets.train },
        evaluate: async (model) => (await milEval(model as BernoulliMaskMil, sets.val, config.data)).metrics,
        bestMetric: 'bag_accuracy',
        report: (model) => milEval(model as BernoulliMaskMil, sets.val, config.data),
        finish: () => ({ info: { inputDim: sets.dim } }),
        notes: m.useIb
          ? [`Bernoulli-mask IB: loss ${m.bagWeight}·CE + ${m.infoWeight}·info (keep-rate target ${m.threshold}), top-${m.topK} instances at test`]
          : ['CLAM-SB baseline (mil.useIb=false): gated attention over every instance, plain bag CE'],
        dispose: () => {},
      };
    },
    async evaluate(config, runDir) {
      const sets = milSets(config.data);
      const model = buildModel(config, sets.dim);
      try {
        await loadBest(runDir, model);
        return await milEval(model, sets.val, config.data);
      } finally {
        model.dispose();
      }
    },
    async predict(config, request) {
      // One input = one bag: bag probabilities, the predicted label and the attention over its instances.
      const model = buildModel(config, (DIGIT / config.data.pool) ** 2);
      const names = classNames(config.data);
      try {
        await loadBest(request.runDir, model);
        model.eval();
        const out: Prediction[] = [];
        for (const input of request.inputs) {
          const bag = bagFromInput(input, config.data.pool);
          const { probabilities, attention } = await predictBag(model, bag);
          out.push({
            input,
            probabilities: Object.fromEntries(names.map((c, i) => [c, probabilities[i]!])),
            label: names[probabilities[1]! > probabilities[0]! ? 1 : 0]!,
            instances: bag.instances.map((instance, i) => ({ instance, attention: attention[i]! })),
          });
        }
        return out;
      } finally {
        model.dispose();
      }
    },
  };
}

export const milIbRecipe = makeMilRecipe('mil-ib');
