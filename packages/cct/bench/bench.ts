/**
 * CCT vs the supervised-only baseline on the embedded digit scenes (`@lel/datasets` makeDigitScenes), with
 * 1/16 and 1/8 of the training images labelled: validation mIoU, mean ± 95% CI over seeds, and training
 * time per step. Not a test. Run: `pnpm --filter @lel/cct bench`; every knob is an env variable read below
 * (BENCH_SEEDS, BENCH_STEPS, BENCH_RATIOS, BENCH_LR, …; BENCH_OUT writes a JSON copy of the results).
 *
 * The configuration is scaled to run in minutes on two CPU cores (see the README's table and notes).
 */
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { writeFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { Rng, meanConfidenceInterval, setGlobalSeed, useBackend, type Callback } from '@lel/core';
import { makeDigitScenes } from '@lel/datasets/node';
import { CctModel, SmallConvEncoder, evaluateSegmentation, segmentationSet, trainCct, type CctConfigInput, type SegmentationBatch } from '../src/index';

const SEEDS = (process.env.BENCH_SEEDS ?? '0,1,2').split(',').map(Number);
const STEPS = Number(process.env.BENCH_STEPS ?? 300);
const BACKEND = (process.env.BENCH_BACKEND ?? 'wasm') as 'wasm' | 'cpu';

const N_TRAIN = Number(process.env.BENCH_NTRAIN ?? 512);
const N_VAL = 64;
const RATIOS: [string, number][] = (process.env.BENCH_RATIOS ?? '16,8').split(',').map((d) => [`1/${d}`, 1 / Number(d)]);
const MODES = (process.env.BENCH_MODES ?? 'supervised,semi').split(',') as ('supervised' | 'semi')[];
// The official lr 1e-2: 0.1 (the old default) drives the logits to ±50 and kills channels of the decoders'
// C-channel ReLU path (see the README's diagnosis).
const LR = Number(process.env.BENCH_LR ?? 0.01);
const FINAL_RELU = process.env.BENCH_FINAL_RELU === '1';
const BINARY = process.env.BENCH_BINARY === '1';
const SUP_LOSS = (process.env.BENCH_SUP ?? 'ce') as 'ce' | 'abce';
const VARIANT = (process.env.BENCH_VARIANT ?? 'easy') as 'easy' | 'hard';
const WIDTHS: number[] = JSON.parse(process.env.BENCH_WIDTHS ?? '[16,32,32]');
const SIZE = Number(process.env.BENCH_SIZE ?? 32);
// Output stride of the encoder (the decoders' upscale). Stride 8 cannot segment 2–3 px digit strokes on 32×32
// scenes: even the oracle that labels each 8×8 cell with its majority class scores 17.5% mIoU (stride 4: 40%,
// stride 2: 62%). Stages past the stride are dilated (SmallConvEncoder's outputStride).
const OS = Number(process.env.BENCH_OS ?? 2);
// Horizontal flips (the official augmentation) turn digits into other shapes; off for digit scenes.
const FLIP = process.env.BENCH_FLIP === '1';
const ENC_LR_SCALE = Number(process.env.BENCH_ENC_LR_SCALE ?? 1);
const BATCH = 8;
// One auxiliary decoder per perturbation (7, not the official 30) keeps a step affordable on 2 CPU cores.
const PERTURBATIONS = { vat: 1, dropout: 1, cutout: 1, contextMasking: 1, objectMasking: 1, featureDrop: 1, featureNoise: 1 };

interface RunResult {
  miou: number;
  msPerStep: number;
  steps: number;
}

async function run(mode: 'semi' | 'supervised', ratio: number, seed: number): Promise<RunResult> {
  setGlobalSeed(seed);
  const train = makeDigitScenes({ n: N_TRAIN, size: SIZE, seed: 'bench-train', split: 'train', variant: VARIANT });
  const valData = makeDigitScenes({ n: N_VAL, size: SIZE, seed: 'bench-val', split: 'test', variant: VARIANT });
  if (BINARY) for (const d of [train, valData]) d.masks.forEach((v, i) => void (v > 0 && v !== 255 && (d.masks[i] = 1)));
  const numClasses = BINARY ? 2 : train.numClasses;
  const order = new Rng(`split/${seed}`).permutation(N_TRAIN);
  const nl = Math.round(N_TRAIN * ratio);
  const labelled = segmentationSet(train, order.slice(0, nl));
  const unlabelled = segmentationSet(train, order.slice(nl));
  const val = segmentationSet(valData);
  const itersSemi = Math.ceil((N_TRAIN - nl) / BATCH);
  const itersSup = Math.ceil(nl / BATCH);
  const ipe = mode === 'semi' ? itersSemi : itersSup;
  const config: CctConfigInput = {
    numClasses,
    mode,
    perturbations: PERTURBATIONS,
    // ξ = 1e-6 is lost to float32 rounding on CPU (see README); 1e-1 gives a real power iteration.
    vat: { xi: 0.1, eps: 2.0, iterations: 1 },
    // Objects here are ~10-20 px: keep components of ≥ 10 px (official: contours > 50 points on VOC).
    cutout: { erase: 0.4, minPixels: 10 },
    // From scratch (no ImageNet backbone), the encoder trains at the full rate (official: lr/10 for a pretrained one).
    optim: { lr: LR, momentum: 0.9, weightDecay: 1e-4, encoderLrScale: ENC_LR_SCALE, polyPower: 0.9 },
    decoderFinalRelu: FINAL_RELU,
    loss: { sup: SUP_LOSS },
    upscale: OS,
    train: {
      // Both methods take the same number of steps; epochs size the poly schedule and the ramp-up. Rounding up:
      // with Math.round, epochs·ipe could fall short of STEPS and fit stopped early (280 CCT steps at 1/8).
      epochs: Math.max(1, Math.ceil(STEPS / ipe)),
      labelledBatchSize: BATCH,
      unlabelledBatchSize: BATCH,
      valEvery: 1000,
      earlyStop: 0,
      seed,
      weakLabels: false,
    },
  };
  const rng = new Rng(`init/${seed}`);
  const model = new CctModel(new SmallConvEncoder({ widths: WIDTHS, outputStride: OS, rng }), config, rng);
  let t0 = 0;
  let timedSteps = 0;
  const timer: Callback<SegmentationBatch> = {
    onStepStart: (ctx) => {
      if (ctx.step === 5) t0 = performance.now(); // skip warm-up steps
    },
    onStepEnd: (ctx) => {
      if (ctx.step >= 5) timedSteps++;
    },
  };
  const result = await trainCct({
    model, labelled, unlabelled: mode === 'semi' ? unlabelled : undefined, maxSteps: STEPS, callbacks: [timer], ...(FLIP ? {} : { augment: null }),
  });
  if (process.env.BENCH_DEBUG) {
    const fmtRec = (h: Record<string, unknown>) => `${String(h.step)}:${Number(h.loss).toFixed(3)}/${Number(h.sup ?? 0).toFixed(3)}/${Number(h.unsup ?? 0).toFixed(4)}`;
    console.error(result.history.filter((h) => h.type === 'train').map(fmtRec).join(' '));
  }
  const msPerStep = (performance.now() - t0) / Math.max(1, timedSteps);
  model.eval();
  const { miou } = await evaluateSegmentation(model, val, { numClasses });
  model.dispose();
  tf.dispose([labelled.images, labelled.labels, unlabelled.images, unlabelled.labels, val.images, val.labels]);
  return { miou, msPerStep, steps: result.steps };
}

async function main(): Promise<void> {
  await useBackend(BACKEND);
  const rows: { ratio: string; method: string; mious: number[]; ms: number[] }[] = [];
  for (const [name, ratio] of RATIOS) {
    for (const mode of MODES) {
      const mious: number[] = [];
      const ms: number[] = [];
      for (const seed of SEEDS) {
        const r = await run(mode, ratio, seed);
        mious.push(r.miou);
        ms.push(r.msPerStep);
        console.error(`${name} ${mode} seed ${seed}: mIoU ${(100 * r.miou).toFixed(2)}  ${r.steps} steps  ${r.msPerStep.toFixed(0)} ms/step  (tensors ${tf.memory().numTensors})`);
      }
      rows.push({ ratio: name, method: mode === 'semi' ? 'CCT' : 'supervised only', mious, ms });
    }
  }
  const fmt = (v: number[]) => {
    if (v.length < 2) return (100 * v[0]!).toFixed(1);
    const ci = meanConfidenceInterval(v);
    return `${(100 * ci.mean).toFixed(1)} ± ${(100 * ci.halfWidth).toFixed(1)}`;
  };
  const lines = [
    `| labelled | method | val mIoU (%) | ms / step |`,
    `|---|---|---|---|`,
    ...rows.map((r) => `| ${r.ratio} | ${r.method} | ${fmt(r.mious)} | ${(r.ms.reduce((a, b) => a + b, 0) / r.ms.length).toFixed(0)} |`),
  ];
  console.log(lines.join('\n'));
  console.log(`\nbackend ${BACKEND}, seeds ${SEEDS.join(',')}, ${STEPS} steps, ${N_TRAIN} train / ${N_VAL} val scenes of ${SIZE}×${SIZE}, widths ${JSON.stringify(WIDTHS)}, stride ${OS}, lr ${LR}, flip ${FLIP}`);
  if (process.env.BENCH_OUT) writeFileSync(process.env.BENCH_OUT, JSON.stringify({ rows, SEEDS, STEPS, BACKEND }, null, 2));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
