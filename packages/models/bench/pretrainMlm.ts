// Pretrain the small BERT by masked language modelling on @lel/datasets' embedded corpus (US State of the
// Union addresses) and save it in Hugging Face layout (config.json, model.safetensors, vocab.txt) for the
// PEFT/VIB/distillation/SWA fine-tuning benchmarks and the demo.
//
//   pnpm --filter @lel/models pretrain:mlm [--out pretrained/bert-mini-sotu] [--steps 300] [--docs 233]
//     [--vocab 4000] [--seq 64] [--batch 16] [--lr 1e-3] [--seed 0] [--backend wasm]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

await import('@tensorflow/tfjs-backend-cpu');
await import('@tensorflow/tfjs-backend-wasm');
const { useBackend } = await import('@lel/core');
const { loadTextCorpus } = await import('@lel/datasets');
const { pretrainMlm, saveBertPretrained } = await import('../src/index');

const out = resolve(arg('out', 'pretrained/bert-mini-sotu'));
await useBackend(arg('backend', 'wasm') as 'wasm' | 'cpu');
const docs = loadTextCorpus({ maxDocuments: Number(arg('docs', '233')) });
const steps = Number(arg('steps', '300'));
const t0 = performance.now();
const { model, tokenizer, losses } = await pretrainMlm({
  texts: docs.map((d) => d.text),
  vocabSize: Number(arg('vocab', '4000')),
  seqLength: Number(arg('seq', '64')),
  batchSize: Number(arg('batch', '16')),
  steps,
  lr: Number(arg('lr', '1e-3')),
  seed: Number(arg('seed', '0')),
  onStep: (step, loss) => {
    if (step % 10 === 0 || step === steps - 1) console.error(`step ${step + 1}/${steps} loss ${loss.toFixed(4)} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  },
});
const seconds = (performance.now() - t0) / 1000;
await saveBertPretrained(model, out, { tokenizer });
const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / Math.max(1, a.length);
const summary = {
  out,
  documents: docs.length,
  vocabSize: tokenizer.vocabSize,
  parameters: model.countParameters().all,
  steps,
  seconds: Math.round(seconds),
  firstLoss10: mean(losses.slice(0, 10)),
  lastLoss10: mean(losses.slice(-10)),
};
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'pretraining.json'), JSON.stringify({ ...summary, losses }, null, 2) + '\n');
console.log(JSON.stringify(summary));
model.dispose();
