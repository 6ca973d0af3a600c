// Benchmark tasks: the embedded sentiment sentences (hashed bag of n-grams) and glyph classification.
import { glyphClassSplits, loadSentiment, makeGlyphFewShot, SENTIMENT_DOMAINS } from '@lel/datasets/node';
import { Rng } from '@lel/core';

/** A classification task as dense float features. */
export interface Task {
  name: string;
  classes: number;
  /** Per-example input shape (e.g. [D] or [H, W, 1]). */
  inputShape: number[];
  train: { x: Float32Array; y: Int32Array; n: number };
  test: { x: Float32Array; y: Int32Array; n: number };
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/**
 * The 3,000 sentences of the three sentiment domains, pooled; a stratified 80/20 split (fixed, seed 0);
 * features: binary hashed unigrams + bigrams, `dim` buckets.
 */
export function sentimentTask(dim = 1024): Task {
  const texts: string[] = [];
  const labels: number[] = [];
  for (const d of SENTIMENT_DOMAINS) {
    const data = loadSentiment({ domain: d });
    texts.push(...data.texts);
    labels.push(...data.labels);
  }
  const feats = (t: string): Float32Array => {
    const v = new Float32Array(dim);
    const toks = t.toLowerCase().match(/[a-z']+|[!?]/g) ?? [];
    toks.forEach((w, i) => {
      v[hash(w) % dim] = 1;
      if (i > 0) v[hash(`${toks[i - 1]} ${w}`) % dim] = 1;
    });
    return v;
  };
  const rng = new Rng('distill-bench/sentiment-split');
  const trainIdx: number[] = [];
  const testIdx: number[] = [];
  for (const y of [0, 1]) {
    const idx = labels.flatMap((l, i) => (l === y ? [i] : []));
    rng.shuffle(idx);
    const k = Math.round(idx.length * 0.2);
    testIdx.push(...idx.slice(0, k));
    trainIdx.push(...idx.slice(k));
  }
  const pack = (idx: number[]) => {
    const x = new Float32Array(idx.length * dim);
    idx.forEach((i, r) => x.set(feats(texts[i]!), r * dim));
    return { x, y: Int32Array.from(idx, (i) => labels[i]!), n: idx.length };
  };
  return { name: 'sentiment', classes: 2, inputShape: [dim], train: pack(trainIdx), test: pack(testIdx) };
}

/** Glyph classification: `classes` characters, `perClass` drawings each (first `trainPerClass` for training). */
export function glyphTask(classes = 20, perClass = 40, trainPerClass = 25, size = 20): Task {
  const chars = glyphClassSplits(0).base.slice(0, classes);
  const data = makeGlyphFewShot({ classes: chars, perClass, size, seed: 'distill-bench' });
  const per = size * size;
  const split = (keep: (j: number) => boolean) => {
    const rows: number[] = [];
    for (let i = 0; i < data.n; i++) if (keep(i % perClass)) rows.push(i);
    const x = new Float32Array(rows.length * per);
    rows.forEach((i, r) => x.set(data.images.subarray(i * per, (i + 1) * per), r * per));
    return { x, y: Int32Array.from(rows, (i) => data.labels[i]!), n: rows.length };
  };
  return { name: 'glyph', classes, inputShape: [size, size, 1], train: split((j) => j < trainPerClass), test: split((j) => j >= trainPerClass) };
}
