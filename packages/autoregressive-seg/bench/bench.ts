// `pnpm --filter @lel/autoregressive-seg bench`: autoregressive clustering (AC) vs the IIC baseline on the embedded
// digit scenes, no labels used in training; Hungarian pixel accuracy and mIoU (foreground/background, K = 2) on
// held-out scenes, mean ± 95% CI over seeds; and AC with 1, 2, 4 or 8 orderings.
// Env: STEPS (default 100), SEEDS (default 0,1,2), SIZE (32), NTRAIN (128), NTEST (64), CONDITIONS (comma list of
// names below), OUT (JSON results path, default bench/results.json).
import { writeFileSync } from 'node:fs';
import { meanConfidenceInterval, useBackend } from '@lel/core';
import '@tensorflow/tfjs-backend-wasm';
import { makeDigitScenes } from '@lel/datasets/node';
import { evaluateArSeg, trainArSeg, type ArSegConfigInput, type LabelledImageSet } from '../src/index';

await useBackend('wasm');
const steps = Number(process.env.STEPS ?? 100);
const seeds = (process.env.SEEDS ?? '0,1,2').split(',').map(Number);
const size = Number(process.env.SIZE ?? 32);
const nTrain = Number(process.env.NTRAIN ?? 128);
const nTest = Number(process.env.NTEST ?? 64);

const base: ArSegConfigInput = { inChannels: 1, numClusters: 2, stemChannels: 8, numBlocks: 2, stemStride: 1, halfT: 2, lambda: 1, lr: 3e-3, batchSize: 8, steps };
const conditions: Record<string, ArSegConfigInput> = {
  'IIC baseline (flip + jitter views, unmasked)': { mode: 'iic' },
  'AC, 8 orderings': { mode: 'ac', orderings: [1, 2, 3, 4, 5, 6, 7, 8] },
  'AC, 4 orderings {1, 3, 6, 7}': { mode: 'ac', orderings: [1, 3, 6, 7] },
  'AC, 2 orderings {1, 7}': { mode: 'ac', orderings: [1, 7] },
  'AC, 1 ordering {1} (identical views)': { mode: 'ac', orderings: [1] },
};
const wanted = process.env.CONDITIONS?.split(',').map((s) => s.trim());

/** Foreground/background ground truth: the digit classes merged into 1 (255 stays ignored). */
function binarise(d: ReturnType<typeof makeDigitScenes>): LabelledImageSet {
  return { images: d.images, n: d.n, height: d.height, width: d.width, channels: d.channels, numClasses: 2, masks: Int32Array.from(d.masks, (v) => (v === 255 ? 255 : v > 0 ? 1 : 0)) };
}

const rows: Record<string, { acc: number[]; miou: number[]; ms: number[] }> = {};
for (const seed of seeds) {
  // Scenes depend on the seed too: each seed is a fresh draw of data, initialisation and orderings.
  const train = makeDigitScenes({ n: nTrain, size, seed: 1000 + seed, variant: 'easy' });
  const test = binarise(makeDigitScenes({ n: nTest, size, seed: 2000 + seed, variant: 'easy', split: 'test' }));
  for (const [name, cfg] of Object.entries(conditions)) {
    if (wanted && !wanted.some((w) => name.startsWith(w))) continue;
    const t0 = performance.now();
    const { model } = await trainArSeg(train, { ...base, ...cfg, seed });
    const ms = performance.now() - t0;
    const r = await evaluateArSeg(model, test);
    model.dispose();
    const row = (rows[name] ??= { acc: [], miou: [], ms: [] });
    row.acc.push(100 * r.accuracy);
    row.miou.push(100 * r.miou);
    row.ms.push(ms / steps);
    console.error(`seed ${seed} | ${name}: pixel acc ${(100 * r.accuracy).toFixed(1)} %, mIoU ${(100 * r.miou).toFixed(1)} %, ${(ms / steps).toFixed(0)} ms/step`);
  }
}
const fmt = (v: number[]) => {
  if (v.length < 2) return v[0]!.toFixed(1);
  const ci = meanConfidenceInterval(v);
  return `${ci.mean.toFixed(1)} ± ${ci.halfWidth.toFixed(1)}`;
};
console.log(`| method | pixel accuracy % | mIoU % | ms/step |\n|---|---|---|---|`);
for (const [name, r] of Object.entries(rows)) console.log(`| ${name} | ${fmt(r.acc)} | ${fmt(r.miou)} | ${(r.ms.reduce((a, b) => a + b, 0) / r.ms.length).toFixed(0)} |`);
writeFileSync(process.env.OUT ?? new URL('./results.json', import.meta.url), JSON.stringify({ steps, seeds, size, nTrain, nTest, base, rows }, null, 2));
