import { Rng } from '@lel/core';
import { fewSampleSubset, type TextClassificationData } from '@lel/datasets';
import { SENTIMENT_DOMAINS, loadSentiment } from '@lel/datasets/node';

/**
 * The text effects' task: the 3,000 UCI "Sentiment Labelled Sentences" (Amazon, IMDb, Yelp; npm `sentiment`)
 * pooled, split once (seed 0, stratified by domain and class) into a test set (150 per class per domain: 900),
 * a dev set for hyper-parameter choices (50 per class per domain: 300) and a training pool (the other 1,800, 900
 * per class). A run with N labels per class draws them from the pool with its seed; the rest of the pool is the
 * unlabelled transfer set (KD) and the all-label ceiling trains on the whole pool.
 */
export interface SentimentTask {
  test: TextClassificationData;
  dev: TextClassificationData;
  pool: TextClassificationData;
}

const TEST_PER_CELL = 150;
const DEV_PER_CELL = 50;

function subset(d: TextClassificationData, idx: readonly number[]): TextClassificationData {
  return { texts: idx.map((i) => d.texts[i]!), labels: Int32Array.from(idx, (i) => d.labels[i]!), labelNames: d.labelNames };
}

function concat(parts: TextClassificationData[]): TextClassificationData {
  return { texts: parts.flatMap((p) => p.texts), labels: Int32Array.from(parts.flatMap((p) => Array.from(p.labels))), labelNames: parts[0]!.labelNames };
}

let cached: SentimentTask | undefined;

/** The fixed split described on {@link SentimentTask} (same bytes on every machine). */
export function sentimentTask(): SentimentTask {
  if (cached) return cached;
  const test: TextClassificationData[] = [];
  const dev: TextClassificationData[] = [];
  const pool: TextClassificationData[] = [];
  for (const domain of SENTIMENT_DOMAINS) {
    const d = loadSentiment({ domain });
    for (const y of [0, 1]) {
      const idx = Array.from(d.labels.keys()).filter((i) => d.labels[i] === y);
      const order = new Rng(`text-effects-split/0/${domain}/${y}`).permutation(idx.length);
      const shuffled = Array.from(order, (k) => idx[k]!);
      test.push(subset(d, shuffled.slice(0, TEST_PER_CELL)));
      dev.push(subset(d, shuffled.slice(TEST_PER_CELL, TEST_PER_CELL + DEV_PER_CELL)));
      pool.push(subset(d, shuffled.slice(TEST_PER_CELL + DEV_PER_CELL)));
    }
  }
  cached = { test: concat(test), dev: concat(dev), pool: concat(pool) };
  return cached;
}

/** N labelled examples per class drawn from the pool with `seed` (LM-BFF protocol), and the rest of the pool. */
export function fewLabels(task: SentimentTask, perClass: number | 'all', seed: number): { labeled: TextClassificationData; rest: TextClassificationData; indices: number[] } {
  if (perClass === 'all') return { labeled: task.pool, rest: subset(task.pool, []), indices: Array.from(task.pool.labels.keys()) };
  const idx = fewSampleSubset({ labels: task.pool.labels, perClass, seed });
  const chosen = new Set(idx);
  const rest = Array.from(task.pool.labels.keys()).filter((i) => !chosen.has(i));
  // fewSampleSubset returns ascending indices: shuffle so class order does not follow the pool's layout.
  const order = new Rng(`text-effects-order/${seed}`).permutation(idx.length);
  const indices = Array.from(order, (k) => idx[k]!);
  return { labeled: subset(task.pool, indices), rest: subset(task.pool, rest), indices };
}
