// `pnpm --filter @lel/entropy-min bench`: labelled-only vs entropy minimisation on two noisy blobs, 3 seeds.
import { meanConfidenceInterval, Rng, useBackend } from '@lel/core';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { trainEntropyMin } from '../src/train';

await useBackend('wasm');
function blobs(n: number, rng: Rng) {
  const x = new Float32Array(n * 2);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % 2;
    x[2 * i] = (y[i] ? 1.5 : -1.5) + rng.normal(0, 1);
    x[2 * i + 1] = rng.normal(0, 1);
  }
  return { x, y };
}
const rows: Record<string, number[]> = { 'labelled only (weight 0)': [], 'entropy minimisation (weight 0.1)': [] };
for (const seed of [0, 1, 2]) {
  const rng = new Rng(seed);
  const lab = blobs(8, rng);
  const unl = blobs(512, rng);
  const test = blobs(1000, rng);
  for (const [label, w] of [['labelled only (weight 0)', 0], ['entropy minimisation (weight 0.1)', 0.1]] as const) {
    const t0 = performance.now();
    const { model } = await trainEntropyMin({ labeledX: lab.x, labeledY: lab.y, unlabeledX: unl.x, features: 2, numClasses: 2 }, { steps: 200, batchSize: 8, unsupWeight: w, seed });
    const pred = Array.from(tf.tidy(() => tf.argMax(model.forward(tf.tensor2d(test.x, [1000, 2])), -1).dataSync()));
    rows[label]!.push(pred.reduce((a, p, i) => a + (p === test.y[i] ? 1 : 0), 0) / 10);
    model.dispose();
    console.error(`seed ${seed} ${label}: ${(performance.now() - t0).toFixed(0)} ms`);
  }
}
console.log('| method | accuracy % (mean ± 95% CI, 3 seeds) |\n|---|---|');
for (const [label, v] of Object.entries(rows)) {
  const ci = meanConfidenceInterval(v);
  console.log(`| ${label} | ${ci.mean.toFixed(1)} ± ${ci.halfWidth.toFixed(1)} |`);
}
