import * as tf from '@tensorflow/tfjs-core';
import { Adam, Parameter, computeGradients } from '@lel/core';
import type { TextClassificationData } from '@lel/datasets';
import { type BertForSequenceClassification } from '@lel/models';
import { loadPretrainedBert } from '@lel/models/node';
import { fewLabels, type SentimentTask } from './sentiment-task';
import { encodeTexts } from './text-eval';

/** Frozen features of a text set: the pooled [CLS] output (tanh pooler) and the masked mean of the last layer. */
export interface TextFeatures {
  pooled: Float32Array;
  mean: Float32Array;
  dim: number;
  labels: Int32Array;
}

/** Features of `data` from the encoder at `dir` (eval mode, batches of 64). */
export async function encoderFeatures(dir: string, data: TextClassificationData, maxLength = 48): Promise<TextFeatures> {
  const { model, tokenizer } = await loadPretrainedBert(dir, { numLabels: 2 });
  const bert = model as BertForSequenceClassification;
  bert.eval();
  const dim = bert.config.hiddenSize;
  const pooled = new Float32Array(data.texts.length * dim);
  const mean = new Float32Array(data.texts.length * dim);
  try {
    for (let s = 0; s < data.texts.length; s += 64) {
      const x = encodeTexts(tokenizer!, data.texts.slice(s, s + 64), maxLength);
      const [p, m] = tf.tidy(() => {
        const out = bert.forward(x);
        const mask = tf.expandDims(tf.cast(x.attentionMask, 'float32'), -1);
        const avg = tf.div(tf.sum(tf.mul(out.lastHiddenState, mask), 1), tf.sum(mask, 1));
        return [out.poolerOutput, avg];
      });
      pooled.set(await p.data(), s * dim);
      mean.set(await m.data(), s * dim);
      tf.dispose([p, m, x.inputIds, x.attentionMask, x.tokenTypeIds]);
    }
  } finally {
    bert.dispose();
  }
  return { pooled, mean, dim, labels: data.labels };
}

/**
 * L2-regularised logistic regression (2 classes, softmax form) on standardised features, full batch, Adam
 * (lr 0.01, 500 iterations): the linear probe. Returns test accuracy for the weight decay `l2`.
 */
export async function logisticProbe(train: { x: Float32Array; y: Int32Array }, test: { x: Float32Array; y: Int32Array }, dim: number, l2: number): Promise<number> {
  const n = train.y.length;
  const [xs, xt] = tf.tidy(() => {
    const a = tf.tensor2d(train.x, [n, dim]);
    const mu = tf.mean(a, 0);
    const sd = tf.add(tf.sqrt(tf.mean(tf.square(tf.sub(a, mu)), 0)), 1e-6);
    return [tf.div(tf.sub(a, mu), sd), tf.div(tf.sub(tf.tensor2d(test.x, [test.y.length, dim]), mu), sd)];
  });
  // Parameter keeps its initial tensor alive: dispose it so only the variable remains.
  const param = (t: tf.Tensor) => {
    const p = new Parameter(t);
    t.dispose();
    return p;
  };
  const w = param(tf.zeros([dim, 2]));
  const b = param(tf.zeros([2]));
  const named: [string, Parameter][] = [
    ['w', w],
    ['b', b],
  ];
  const opt = new Adam(named, { lr: 0.01 });
  const y = tf.oneHot(tf.tensor1d(Array.from(train.y), 'int32'), 2);
  try {
    for (let i = 0; i < 500; i++) {
      const { grads } = await computeGradients(
        () =>
          tf.tidy(() => {
            const logits = tf.add(tf.matMul(xs, w.variable), b.variable);
            const ce = tf.neg(tf.mean(tf.sum(tf.mul(y, tf.logSoftmax(logits)), -1)));
            return tf.add(ce, tf.mul(l2, tf.sum(tf.square(w.variable)))) as tf.Scalar;
          }),
        named,
      );
      opt.step(grads);
      tf.dispose([...grads.values()]);
    }
    const pred = tf.tidy(() => tf.argMax(tf.add(tf.matMul(xt, w.variable), b.variable), -1));
    const p = await pred.data();
    pred.dispose();
    let hit = 0;
    test.y.forEach((v, i) => (hit += p[i] === v ? 1 : 0));
    return hit / test.y.length;
  } finally {
    opt.dispose();
    tf.dispose([xs, xt, y, w.variable, b.variable]);
  }
}

const L2S = [1e-4, 1e-3, 1e-2, 1e-1];

function rows(f: TextFeatures, which: 'pooled' | 'mean', idx: readonly number[]): { x: Float32Array; y: Int32Array } {
  const src = f[which];
  const x = new Float32Array(idx.length * f.dim);
  idx.forEach((i, r) => x.set(src.subarray(i * f.dim, (i + 1) * f.dim), r * f.dim));
  return { x, y: Int32Array.from(idx, (i) => f.labels[i]!) };
}

/**
 * Linear-probe accuracy of the encoder at `dir` on the text-effects task: logistic regression on frozen pooled /
 * mean features of the whole training pool (all labels) and of N = 16 and 64 per class (seeds 0-4), L2 chosen on
 * the dev split, accuracy on the test split.
 */
export async function linearProbe(dir: string, task: SentimentTask): Promise<Record<string, unknown>> {
  const all: TextClassificationData = { texts: [...task.pool.texts, ...task.dev.texts, ...task.test.texts], labels: Int32Array.from([...task.pool.labels, ...task.dev.labels, ...task.test.labels]), labelNames: task.pool.labelNames };
  const f = await encoderFeatures(dir, all);
  const nPool = task.pool.texts.length;
  const nDev = task.dev.texts.length;
  const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);
  const devIdx = range(nPool, nPool + nDev);
  const testIdx = range(nPool + nDev, all.texts.length);
  const out: Record<string, unknown> = {};
  for (const which of ['pooled', 'mean'] as const) {
    const probe = async (trainIdx: number[]) => {
      let best = { l2: NaN, dev: -1 };
      for (const l2 of L2S) {
        const dev = await logisticProbe(rows(f, which, trainIdx), rows(f, which, devIdx), f.dim, l2);
        if (dev > best.dev) best = { l2, dev };
      }
      return { ...best, test: await logisticProbe(rows(f, which, trainIdx), rows(f, which, testIdx), f.dim, best.l2) };
    };
    out[`${which}/all`] = await probe(range(0, nPool));
    for (const n of [16, 64]) {
      const tests: number[] = [];
      for (const seed of [0, 1, 2, 3, 4]) {
        tests.push((await probe(fewLabels(task, n, seed).indices)).test);
      }
      out[`${which}/n${n}`] = tests;
    }
  }
  return out;
}
