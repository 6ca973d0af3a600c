// BERT-base-sized training step (forward + backward, sequence-classification loss) at sequence 128, batch 8,
// on each installed backend. Prints JSON and writes bench/results/bert-step.json, with memory: the peak tfjs tensor
// bytes of the (first) warm-up step (tf.profile), tf.memory() after the steps, the wasm heap's size (it only
// grows, so it is the heap's peak) and the process's peak RSS.
//
//   pnpm bench [--backends wasm,cpu] [--steps 2] [--warmup 1] [--layers 12]
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import type * as TF from '@tensorflow/tfjs-core';

const tf = await import('@tensorflow/tfjs-core');
await import('@tensorflow/tfjs-backend-cpu');
await import('@tensorflow/tfjs-backend-wasm');
const { crossEntropy, useBackend } = await import('@lel/core');
const { BERT_BASE_UNCASED, BertForSequenceClassification } = await import('../src/index');

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const backends = arg('backends', 'wasm,cpu').split(',');
const steps = Number(arg('steps', '2'));
const warmup = Number(arg('warmup', '1'));
const layers = Number(arg('layers', String(BERT_BASE_UNCASED.numHiddenLayers)));
const batch = Number(arg('batch', '8'));
const seq = Number(arg('seq', '128'));
const MB = 2 ** 20;

const results: Record<string, unknown>[] = [];
for (const backend of backends) {
  try {
    results.push(await run(backend));
  } catch (e) {
    // wasm aborts when a step needs more than its 4 GB heap; record it and go on with the next backend.
    const r = { backend, layers, batch, seq, error: (e as Error).message.slice(0, 200), ...memoryNow() };
    console.log(JSON.stringify(r));
    results.push(r);
  }
}

function memoryNow(): Record<string, number | undefined> {
  const m = tf.memory();
  const heap = (tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } }).wasm?.HEAPU8?.buffer.byteLength;
  return {
    tfNumTensors: m.numTensors,
    tfMB: Math.round(m.numBytes / MB),
    wasmHeapMB: heap === undefined ? undefined : Math.round(heap / MB),
    rssMB: Math.round(process.memoryUsage().rss / MB),
    maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
  };
}

async function run(backend: string): Promise<Record<string, unknown>> {
  await useBackend(backend as 'wasm' | 'cpu');
  const model = new BertForSequenceClassification({ ...BERT_BASE_UNCASED, numHiddenLayers: layers }, { numLabels: 2 });
  model.train();
  const ids = tf.randomUniformInt([batch, seq], 1000, 30000, 0);
  const mask = tf.ones([batch, seq], 'int32');
  const labels = tf.tensor1d(Array.from({ length: batch }, (_, i) => i % 2), 'int32');
  const vars = model.trainableParameters().map(([, p]) => p.variable);
  const step = (): number => {
    const { value, grads } = tf.variableGrads(() => crossEntropy(model.forward({ inputIds: ids, attentionMask: mask }).logits, labels) as TF.Scalar, vars);
    const loss = value.dataSync()[0]!;
    tf.dispose([value, grads as unknown as TF.TensorContainer]);
    return loss;
  };
  let peakTensorMB: number | undefined;
  const w0 = performance.now();
  for (let i = 0; i < warmup; i++) {
    if (i > 0) step();
    else peakTensorMB = Math.round((await tf.profile(() => void step())).peakBytes / MB);
  }
  const warmupMs = Math.round(performance.now() - w0);
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    step();
    times.push(performance.now() - t0);
  }
  // Forward only, evaluation mode.
  model.eval();
  const f0 = performance.now();
  const out = model.forward({ inputIds: ids, attentionMask: mask });
  out.logits.dataSync();
  const forwardMs = performance.now() - f0;
  tf.dispose(out as unknown as TF.TensorContainer);
  const sorted = [...times].sort((a, b) => a - b);
  const r = {
    backend,
    model: `bert-base (${layers} layers, hidden 768, 12 heads, FFN 3072, vocab 30522)`,
    parameters: model.countParameters().all,
    batch,
    seq,
    warmupSteps: warmup,
    stepsMs: times.map((t) => Math.round(t)),
    medianStepMs: Math.round(sorted[sorted.length >> 1]!),
    forwardOnlyMs: Math.round(forwardMs),
    warmupMs,
    peakTensorMB,
    ...memoryNow(),
  };
  console.log(JSON.stringify(r));
  tf.dispose([ids, mask, labels]);
  model.dispose();
  return r;
}

const report = {
  bench: 'bert-step',
  what: 'forward + backward (gradients of the classification loss w.r.t. every parameter), no optimiser update',
  node: process.version,
  cpus: `${availableParallelism()} × ${cpus()[0]?.model ?? 'unknown'}`,
  date: new Date().toISOString(),
  results,
};
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/bert-step.json', import.meta.url), JSON.stringify(report, null, 2) + '\n');
console.log(JSON.stringify(report, null, 2));
