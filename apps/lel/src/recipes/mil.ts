import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { Rng } from '@lel/core';
import { readImage } from '@lel/datasets/node';
import { BernoulliMaskMil, MilIbConfigSchema, milIb, predictBag, type MilBag } from '@lel/vib';
import { DataConfigError } from '../data/detect';
import { runLabelMap } from '../data/manifest';
import { MIL_DATA_MOVED, MilData, instanceDim, instanceFeatures, openBagTable, resolveBagSpec, resolveMilData } from '../data/mil-data';
import { commonShape } from './common';
import type { EvalResult, Prediction, Recipe } from './types';
import { bestDir, loadBest } from '../weights';

/**
 * `@lel/vib`'s MilIbConfigSchema (defaults: the official WSI-finetuning code) minus what the data and the run decide:
 * `inputDim` (the instances' features), `numClasses` (the bag labels), `seed` (the run's) and `epochs` (in `train`).
 */
const MilSection = MilIbConfigSchema.omit({ inputDim: true, numClasses: true, seed: true, epochs: true }).strict();

/** The training-length key in the recipe's one `train` section, with @lel/vib's default (the official 50 epochs). */
const MilLength = { epochs: z.number().int().min(1).default(MilIbConfigSchema.shape.epochs.parse(undefined)) };

function schemaFor(name: string) {
  return z.object({ ...commonShape(name, MilLength), data: MilData, mil: MilSection.prefault({}) }).strict();
}
type Config = z.output<ReturnType<typeof schemaFor>>;

/** The `@lel/vib` milIb config of a run: the `mil` section, the `train` length key, the data's sizes and the run seed. */
function methodConfig(config: Config, inputDim: number, numClasses: number) {
  return { ...config.mil, epochs: config.train.epochs, inputDim, numClasses, seed: config.seed };
}

/** The network of a run, for `lel eval` / `lel predict` (weights from best/). */
function buildModel(config: Config, inputDim: number, numClasses: number): BernoulliMaskMil {
  const { lr: _lr, weightDecay: _wd, bagWeight: _bw, infoWeight: _iw, ...arch } = config.mil;
  return new BernoulliMaskMil({ ...arch, inputDim, numClasses, rng: new Rng(`mil-init/${config.seed}`) });
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
 * Bag accuracy and the confusion matrix on a part's bags; with two labels also ROC AUC and F1 (label 1 positive), and
 * `localisation` when the bags know their positive instances (the embedded digits): the share of positive bags whose
 * most-attended instance is a positive one (does the model find the digit?).
 */
async function milEval(model: BernoulliMaskMil, bags: readonly MilBag[], classNames: readonly string[]): Promise<EvalResult> {
  const wasTraining = model.training;
  model.eval();
  try {
    const K = classNames.length;
    const confusion = Array.from({ length: K }, () => new Array<number>(K).fill(0));
    const scores: number[] = [];
    let hits = 0;
    let located = 0;
    for (const bag of bags) {
      const { probabilities, attention } = await predictBag(model, bag);
      const pred = probabilities.indexOf(Math.max(...probabilities));
      confusion[bag.label]![pred]!++;
      scores.push(probabilities[1] ?? 0);
      if (bag.label === 1 && bag.positives.length > 0) {
        located++;
        if (bag.positives.includes(attention.indexOf(Math.max(...attention)))) hits++;
      }
    }
    const correct = confusion.reduce((a, row, i) => a + row[i]!, 0);
    const metrics: Record<string, number> = { bag_accuracy: correct / bags.length };
    const labels = bags.map((b) => b.label);
    if (K === 2 && labels.includes(0) && labels.includes(1)) {
      const [[, fp], [fn, tp]] = confusion as [[number, number], [number, number]];
      metrics.bag_auc = rocAuc(scores, labels);
      metrics.bag_f1 = (2 * tp) / Math.max(1, 2 * tp + fp + fn);
    }
    if (located > 0) metrics.localisation = hits / located;
    return { metrics, classNames: [...classNames], confusion };
  } finally {
    model.train(wasTraining);
  }
}

/**
 * The bags of `predict` inputs. Image runs: a folder (every PNG/JPEG inside is one instance), or one image (a strip of
 * square tiles side by side when at least twice as wide as tall, e.g. 28·k × 28 for k digits; else one instance),
 * read as the run's instances were (channels, size, pooling). Table runs: a .csv/.tsv in the training table's
 * layout (label column optional), one bag per bag id.
 */
async function bagsFromInput(input: string, config: Config, imageInput: boolean): Promise<{ name: string; bag: MilBag; instances: string[] }[]> {
  if (!imageInput) {
    const spec = resolveBagSpec(config.data.labelled, 'data.labelled');
    if (spec.source !== 'bag-csv' && spec.source !== 'bag-tsv') throw new Error('predict: this run did not train on a table of features');
    const t = openBagTable({ ...spec, path: input, source: /\.tsv$/i.test(input) ? 'bag-tsv' : 'bag-csv' }, `predict ${input}`, undefined, true);
    return t.bags.map((bag, i) => ({ name: `${input}#${t.ids[i]}`, bag, instances: Array.from({ length: bag.n }, (_, k) => `${t.ids[i]}[${k}]`) }));
  }
  const o = config.data.instance;
  const tiles: { data: Float32Array; height: number; width: number; channels: number; name: string }[] = [];
  if (fs.existsSync(input) && fs.statSync(input).isDirectory()) {
    const files = fs.readdirSync(input).filter((f) => IMAGE_EXT.test(f)).sort();
    if (files.length === 0) throw new Error(`predict: the folder ${input} holds no PNG or JPEG image (one image per instance of the bag)`);
    for (const f of files) tiles.push({ ...readImage(path.join(input, f), { channels: o.channels }), name: f });
  } else {
    const img = readImage(input, { channels: o.channels });
    const k = img.width >= 2 * img.height ? Math.floor(img.width / img.height) : 1;
    const w = k === 1 ? img.width : img.height;
    const c = o.channels;
    for (let t = 0; t < k; t++) {
      const data = new Float32Array(img.height * w * c);
      for (let r = 0; r < img.height; r++) data.set(img.data.subarray((r * img.width + t * w) * c, (r * img.width + t * w + w) * c), r * w * c);
      tiles.push({ data, height: img.height, width: w, channels: c, name: k === 1 ? path.basename(input) : `${path.basename(input)}#${t}` });
    }
  }
  const dim = instanceDim(o);
  const features = new Float32Array(tiles.length * dim);
  for (const [i, t] of tiles.entries()) features.set(await instanceFeatures(t, o), i * dim);
  return [{ name: input, bag: { features, n: tiles.length, dim, label: -1, positives: [] }, instances: tiles.map((t) => t.name) }];
}

const IMAGE_EXT = /\.(png|jpe?g)$/i;

function makeMilRecipe(name: 'mil-ib'): Recipe<Config> {
  const schema = schemaFor(name);
  return {
    name,
    description: 'Bernoulli-mask information bottleneck for multiple-instance learning: labelled bags of instances (default: bags of digits, positive when a 9 is present); mil.useIb=false gives CLAM-SB (@lel/vib)',
    package: '@lel/vib',
    task: 'multiple-instance',
    schema,
    // The official optimisation (Adam 1e-4, 50 epochs, one bag per step) with the @lel/vib benchmark's model sizes for
    // 196-feature digits and bags of 8–16 (hidden 64, attention 32, top-8 at test) in place of the WSI sizes (512, 256,
    // top-1024, which would keep every instance); one evaluation and one checkpoint per epoch of 200 bags.
    defaults: {
      // The embedded bags of MNIST digits (200 training bags, 200 held-out bags as the dev part); `data.labelled=./my/bags`
      // (<label>/<bag>/*.png) or `data.labelled=./my/features.csv` (bag, label, feature columns) for user bags.
      data: { labelled: { source: 'mnist-bags' } },
      mil: { hiddenDim: 64, attentionDim: 32, topK: 8 },
      train: { logEvery: 20, evalEvery: 200, checkpointEvery: 200 },
    },
    moved: { 'mil.epochs': 'moved to train.epochs', ...MIL_DATA_MOVED },
    async prepare(config, ctx) {
      const data = await resolveMilData(config.data, { runDir: ctx.runDir });
      for (const line of data.describe) ctx.log(`[data] ${line}`);
      const train = data.parts.labelled ?? [];
      if (train.length === 0) throw new DataConfigError('data.labelled', 'no labelled bag is left for training');
      const dev = data.parts.dev;
      const reported = data.parts.test ?? dev;
      const m = config.mil;
      return {
        // The package's method itself: same seeds, generators and one-bag steps as @lel/vib's trainMilIb.
        method: milIb,
        config: methodConfig(config, data.dim, data.classNames.length),
        data: { bags: train },
        evaluate: async (model): Promise<Record<string, number>> => (dev ? (await milEval(model as BernoulliMaskMil, dev, data.classNames)).metrics : {}),
        bestMetric: dev ? 'bag_accuracy' : null,
        report: async (model) => (reported ? milEval(model as BernoulliMaskMil, reported, data.classNames) : { metrics: {} }),
        finish: () => ({ info: { inputDim: data.dim } }),
        notes: [
          ...(m.useIb
            ? [`Bernoulli-mask IB: loss ${m.bagWeight}·CE + ${m.infoWeight}·info (keep-rate target ${m.threshold}), top-${m.topK} instances at test`]
            : ['CLAM-SB baseline (mil.useIb=false): gated attention over every instance, plain bag CE']),
          ...(data.parts.test ? ['reported on the test bags (the dev bags picked the checkpoint)'] : []),
        ],
        dispose: () => {},
      };
    },
    async evaluate(config, runDir) {
      // The run's own split and label map (data/split.json), re-opened from the same sources.
      const data = await resolveMilData(config.data, { runDir });
      const bags = data.parts.test ?? data.parts.dev;
      if (!bags) throw new DataConfigError('data.dev', `${runDir} has no dev or test bags to evaluate on`);
      const model = buildModel(config, data.dim, data.classNames.length);
      try {
        await loadBest(runDir, model);
        return await milEval(model, bags, data.classNames);
      } finally {
        model.dispose();
      }
    },
    async predict(config, request) {
      // One input = one bag (a table: one bag per id): bag probabilities, the predicted label and the attention over its instances.
      const { classNames, input } = runLabelMap(request.runDir);
      const info = JSON.parse(fs.readFileSync(path.join(bestDir(request.runDir), 'info.json'), 'utf8')) as { inputDim?: number };
      const dim = info.inputDim ?? instanceDim(config.data.instance);
      const model = buildModel(config, dim, classNames.length);
      try {
        await loadBest(request.runDir, model);
        model.eval();
        const out: Prediction[] = [];
        for (const file of request.inputs) {
          for (const { name, bag, instances } of await bagsFromInput(file, config, input !== undefined)) {
            if (bag.dim !== dim) throw new Error(`predict: ${name} has ${bag.dim} features per instance, the run's model takes ${dim}`);
            const { probabilities, attention } = await predictBag(model, bag);
            out.push({
              input: name,
              probabilities: Object.fromEntries(classNames.map((c, i) => [c, probabilities[i]!])),
              label: classNames[probabilities.indexOf(Math.max(...probabilities))]!,
              instances: instances.map((instance, i) => ({ instance, attention: attention[i]! })),
            });
          }
        }
        return out;
      } finally {
        model.dispose();
      }
    },
  };
}

export const milIbRecipe = makeMilRecipe('mil-ib');
