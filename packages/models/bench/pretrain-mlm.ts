// Pretrain the small BERT by masked language modelling on @lel/datasets' embedded corpus (US State of the
// Union addresses) and save it in Hugging Face layout (config.json, model.safetensors, vocab.txt) for the
// PEFT/VIB/distillation/SWA fine-tuning benchmarks and the demo.
//
//   pnpm --filter @lel/models pretrain:mlm [--out pretrained/bert-mini-sotu] [--steps 300] [--docs 233]
//     [--vocab 4000] [--seq 64] [--batch 16] [--lr 1e-3] [--seed 0] [--backend wasm]
//     [--hidden 128] [--layers 2] [--heads 2] [--ffn 4×hidden] [--extra none|sentiment|sentiment,spam]
//     [--sentiment-repeat 1] [--init <HF BERT folder>]
//
// --init continues pretraining from a saved folder (its vocab.txt and weights; --vocab/--hidden/… are ignored).
//
// --extra adds unlabelled text to the corpus: `sentiment` = the 3,000 sentences of @lel/datasets' sentiment task
// (Amazon, IMDb, Yelp; labels dropped, repeated --sentiment-repeat times), `spam` = the SpamAssassin messages' text
// (headers stripped, labels dropped, ≤ 1,000 characters each).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

await import('@tensorflow/tfjs-backend-cpu');
await import('@tensorflow/tfjs-backend-wasm');
const { useBackend } = await import('@lel/core');
const { loadTextCorpus, loadSentiment, loadSpam, SENTIMENT_DOMAINS } = await import('@lel/datasets/node');
const { BertForMaskedLM, bertConfigFromHf, pretrainMlm } = await import('../src/index');
const { loadBertWeightsFromFile, loadWordPieceTokenizer, saveBertPretrained } = await import('../src/node');
const { readFileSync } = await import('node:fs');

const out = resolve(arg('out', 'pretrained/bert-mini-sotu'));
await useBackend(arg('backend', 'wasm') as 'wasm' | 'cpu');
const docs = loadTextCorpus({ maxDocuments: Number(arg('docs', '233')) });
const steps = Number(arg('steps', '300'));
const extra = arg('extra', 'none').split(',').filter((x) => x !== 'none' && x !== '');
const texts = docs.map((d) => d.text);
const extraCounts: Record<string, number> = {};
if (extra.includes('sentiment')) {
  const repeat = Number(arg('sentiment-repeat', '1'));
  const sentences = SENTIMENT_DOMAINS.flatMap((domain) => loadSentiment({ domain }).texts);
  for (let r = 0; r < repeat; r++) texts.push(...sentences);
  extraCounts.sentiment = sentences.length * repeat;
}
if (extra.includes('spam')) {
  const mails = loadSpam({ maxChars: 1000 }).texts;
  texts.push(...mails);
  extraCounts.spam = mails.length;
}
const hidden = Number(arg('hidden', '128'));
const config = {
  hiddenSize: hidden,
  numHiddenLayers: Number(arg('layers', '2')),
  numAttentionHeads: Number(arg('heads', '2')),
  intermediateSize: Number(arg('ffn', String(4 * hidden))),
  maxPositionEmbeddings: Math.max(128, Number(arg('seq', '64'))),
};
const initDir = arg('init', '');
let init: InstanceType<typeof BertForMaskedLM> | undefined;
let initTokenizer: Awaited<ReturnType<typeof loadWordPieceTokenizer>> | undefined;
if (initDir) {
  init = new BertForMaskedLM(bertConfigFromHf(JSON.parse(readFileSync(join(initDir, 'config.json'), 'utf8')) as Record<string, unknown>));
  const report = await loadBertWeightsFromFile(init, initDir);
  if (report.newlyInitialized.length > 0) console.error(`--init: fresh ${report.newlyInitialized.join(', ')}`);
  initTokenizer = await loadWordPieceTokenizer(initDir);
}
const t0 = performance.now();
const { model, tokenizer, losses } = await pretrainMlm({
  texts,
  ...(init ? { init, tokenizer: initTokenizer } : {}),
  config,
  vocabSize: Number(arg('vocab', '4000')),
  seqLength: Number(arg('seq', '64')),
  batchSize: Number(arg('batch', '16')),
  steps,
  lr: Number(arg('lr', '1e-3')),
  seed: Number(arg('seed', '0')),
  onStep: (step, loss) => {
    if (step % Number(arg('log-every', '10')) === 0 || step === steps - 1) console.error(`step ${step + 1}/${steps} loss ${loss.toFixed(4)} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  },
});
const seconds = (performance.now() - t0) / 1000;
console.error(`trained in ${seconds.toFixed(0)} s (${((1000 * seconds) / steps).toFixed(0)} ms/step incl. vocabulary + tokenisation)`);
await saveBertPretrained(model, out, { tokenizer });
const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / Math.max(1, a.length);
const summary = {
  command: ['pnpm --filter @lel/models pretrain:mlm', ...process.argv.slice(2)].join(' '),
  out,
  ...(initDir ? { init: initDir } : {}),
  documents: docs.length,
  extra: extraCounts,
  config,
  seqLength: Number(arg('seq', '64')),
  batchSize: Number(arg('batch', '16')),
  lr: Number(arg('lr', '1e-3')),
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
