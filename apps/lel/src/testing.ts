import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

// bert.from=pretrain: a 2-step in-run pretraining of a tiny BERT (exercises that path; the demo test covers the shipped bert-mini-lel).
const TEXT_TINY = ['data.labelled.perClass=4', 'data.labelled.heldOut=8', 'bert.from=pretrain', 'bert.pretrain.steps=2', 'bert.pretrain.maxDocuments=3', 'bert.pretrain.vocabSize=300', 'train.maxSteps=3', 'train.evalEvery=2', 'train.logEvery=1'];

/** Tiny per-recipe settings for tests: a few steps each, tiny data and models (CPU, seconds per run). */
export const TINY_SETS: Record<string, string[]> = {
  cct: ['data.labelled.n=16', 'data.labelled.heldOut=4', 'train.maxSteps=3', 'train.evalEvery=2', 'train.checkpointEvery=2', 'train.logEvery=1'],
  'cct-supervised': ['data.labelled.n=16', 'data.labelled.heldOut=4', 'train.maxSteps=3', 'train.evalEvery=2', 'train.checkpointEvery=2', 'train.logEvery=1'],
  arseg: ['data.unlabelled.n=8', 'data.unlabelled.heldOut=4', 'train.steps=3', 'train.batchSize=4', 'train.evalEvery=2'],
  iic: ['data.unlabelled.n=8', 'data.unlabelled.heldOut=4', 'train.steps=3', 'train.batchSize=4', 'train.evalEvery=2'],
  scl: ['data.labelled.classes=4', 'data.labelled.heldOutClasses=5', 'data.labelled.drawings=4', 'train.batchSize=4', 'train.maxSteps=3', 'train.evalEvery=2', 'train.logEvery=1', 'fewshot.nQuery=2', 'fewshot.episodes=3'],
  kd: ['data.labelled.n=20', 'data.labelled.heldOut=4', 'teacher.steps=2', 'train.maxSteps=3', 'train.evalEvery=2', 'train.logEvery=1'],
  ckd: ['data.labelled.n=20', 'data.labelled.heldOut=4', 'teacher.steps=2', 'train.maxSteps=3', 'train.evalEvery=2', 'train.logEvery=1', 'distill.tMax=2'],
  akd: ['data.labelled.n=20', 'data.labelled.heldOut=4', 'teacher.steps=2', 'train.maxSteps=3', 'train.evalEvery=2', 'train.logEvery=1', 'train.epochs=2', 'distill.tMax=1'],
  student: ['data.labelled.n=20', 'data.labelled.heldOut=4', 'train.maxSteps=3', 'train.evalEvery=2', 'train.logEvery=1'],
  'finetune-full': TEXT_TINY,
  'peft-bitfit': TEXT_TINY,
  'peft-relbitfit': TEXT_TINY,
  'peft-krona': TEXT_TINY,
  'peft-lora': TEXT_TINY,
  vib: [...TEXT_TINY, 'head.sampleSize=2', 'head.ibDim=16'],
  'mil-ib': ['data.labelled.n=6', 'data.labelled.heldOut=6', 'mil.hiddenDim=8', 'mil.attentionDim=4', 'mil.numSamples=2', 'mil.topK=4', 'train.maxSteps=3', 'train.evalEvery=2', 'train.checkpointEvery=2', 'train.logEvery=1'],
};

/** A fresh temporary folder. */
export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `lel-${prefix}-`));
}

/** Where tests keep artifacts (screenshots) for CI to upload: apps/lel/test-artifacts. */
export function artifactsDir(): string {
  const dir = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', 'test-artifacts');
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}
