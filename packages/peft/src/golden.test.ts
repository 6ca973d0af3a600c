import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { GELU, Linear, Sequential, linear } from '@lel/core';
import { describeGolden, type GoldenContext } from '@lel/core/testing';
import { BertForSequenceClassification, type BertConfig } from '@lel/models';
import { expect } from 'vitest';
import {
  KronaBlock,
  KronaLinear,
  LoraLinear,
  applyPeft,
  bitfitSubstrings,
  factorization,
  keyBiasRowShift,
  kron,
  kronaAdapterForward,
  lokrLinearShapes,
  loraDelta,
  loraScaling,
  relBitFitLogits,
  relativeBuckets,
  relativeKeyTable,
  relativeScalarTable,
  selectBitfitParameters,
  type BitFitComponent,
  type PeftConfig,
} from './index';

interface HfBertConfig {
  vocab_size: number;
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  intermediate_size: number;
  max_position_embeddings: number;
  type_vocab_size: number;
}

function tinyBert(ctx: GoldenContext): BertForSequenceClassification {
  const c = ctx.param<HfBertConfig>('config');
  const config: Partial<BertConfig> = {
    vocabSize: c.vocab_size,
    hiddenSize: c.hidden_size,
    numHiddenLayers: c.num_hidden_layers,
    numAttentionHeads: c.num_attention_heads,
    intermediateSize: c.intermediate_size,
    maxPositionEmbeddings: c.max_position_embeddings,
    typeVocabSize: c.type_vocab_size,
  };
  return new BertForSequenceClassification(config, { numLabels: ctx.param<number>('numLabels') });
}

/** Our names lack HF's `bert.` backbone prefix. */
const toHf = (n: string) => (n.startsWith('classifier.') ? n : `bert.${n}`);

/** A core Linear holding the case's W [in, out] and b. */
function linearFrom(w: tf.Tensor, b: tf.Tensor): Linear {
  const l = new Linear(w.shape[0]!, w.shape[1]!);
  l.weight.assign(w);
  l.bias!.assign(b);
  return l;
}

const handlers = {
  bitfitTrainable(ctx: GoldenContext) {
    const components = ctx.param<BitFitComponent[]>('components');
    expect(bitfitSubstrings(components)).toEqual(ctx.param<string[]>('substrings'));
    // The selection on the case's HF name list…
    const params = ctx.inputValue<{ name: string; shape: number[] }[]>('parameters');
    const selected = selectBitfitParameters(params.map((p) => p.name), components);
    ctx.expectEqual('trainableNames', selected as unknown as string);
    const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
    const trainable = params.filter((p) => selected.includes(p.name)).reduce((s, p) => s + size(p.shape), 0);
    const total = params.reduce((s, p) => s + size(p.shape), 0);
    ctx.expectEqual('trainable', trainable);
    ctx.expectEqual('total', total);
    ctx.expectClose('percent', (100 * trainable) / total);
    // …and applyPeft on the real model, whose names are HF's minus `bert.`.
    const model = tinyBert(ctx);
    const peft = applyPeft(model, { method: 'bitfit', components });
    ctx.expectEqual('trainableNames', model.trainableParameters().map(([n]) => toHf(n)) as unknown as string);
    const c = peft.countParameters();
    ctx.expectEqual('trainable', c.trainable);
    ctx.expectEqual('total', c.all);
    ctx.expectClose('percent', c.percent);
    peft.dispose();
    model.dispose();
  },

  keyBiasInvariance(ctx: GoldenContext) {
    tf.tidy(() => {
      const q = ctx.input('q');
      const k = ctx.input('k');
      const bk = ctx.input('b_k');
      const dh = ctx.param<number>('dHead');
      const kT = tf.transpose(k, [0, 2, 1]);
      const probs = tf.softmax(tf.div(tf.matMul(q, kT), Math.sqrt(dh)), -1);
      const probsWithBias = tf.softmax(tf.div(tf.matMul(q, tf.transpose(tf.add(k, tf.expandDims(bk, 1)), [0, 2, 1])), Math.sqrt(dh)), -1);
      const shift = keyBiasRowShift(q, bk);
      ctx.expectClose('probs', probs);
      ctx.expectClose('probsWithBias', probsWithBias);
      ctx.expectClose('rowShift', shift);
      // The logits with the bias are exactly the logits without it plus the row shift.
      const logitsShifted = tf.add(tf.div(tf.matMul(q, kT), Math.sqrt(dh)), tf.expandDims(shift, 2));
      ctx.expectClose('probsWithBias', tf.softmax(logitsShifted, -1));
    });
  },

  relBitFitScores(ctx: GoldenContext) {
    tf.tidy(() => {
      const z = ctx.input('z');
      const wq = ctx.input('W_q');
      const bq = ctx.input('b_q');
      const q = linear(z, wq, bq);
      const k = linear(z, ctx.input('W_k'), ctx.input('b_k'));
      const qNoBias = linear(z, wq);
      const variant = ctx.param<string>('variant');
      const numHeads = ctx.param<number>('numHeads');
      const maxDistance = ctx.param<number>('L_max');
      const spec = {
        numHeads,
        headDim: ctx.param<number>('dHead'),
        maxDistance,
        shareAcrossHeads: variant === 'tied',
        rank: variant === 'lowRank' ? ctx.param<number>('rank') : null,
      };
      const tables = variant === 'lowRank' ? { U: ctx.input('U'), V: ctx.input('V'), s: ctx.input('s') } : { R: ctx.input('R'), s: ctx.input('s') };
      const logits = relBitFitLogits({ q, k, qNoBias, keyTable: relativeKeyTable(tables, spec), scalarTable: relativeScalarTable(tables.s, spec), numHeads, maxDistance });
      ctx.expectClose('logits', logits);
      ctx.expectClose('probs', tf.softmax(logits, -1));
      const t = z.shape[1]!;
      ctx.expectEqual('buckets', relativeBuckets(t, t, maxDistance));
    });
  },

  kronaForward(ctx: GoldenContext) {
    const x = ctx.input('x');
    const w = ctx.input('W');
    const b = ctx.input('b');
    const a = ctx.input('A');
    const bb = ctx.input('B');
    const s = ctx.param<number>('s');
    const layer = new KronaLinear(linearFrom(w, b));
    layer.addAdapter('default', { aShape: a.shape as [number, number], bShape: bb.shape as [number, number], scale: s, scaleTrainable: false, zeroFactor: 'A' });
    layer.adapterParameters('default').forEach(([n, p]) => p.assign(n === 'krona_A' ? a : bb));
    layer.activeAdapter = 'default';
    tf.tidy(() => {
      ctx.expectClose('y', layer.forward(x));
      ctx.expectClose('deltaKernel', kron(a, bb));
      ctx.expectClose('adapterOut', kronaAdapterForward(x, a, bb, s));
    });
    layer.dispose();
    tf.dispose([x, w, b, a, bb]);
  },

  kronaMerge(ctx: GoldenContext) {
    const x = ctx.input('x');
    const w = ctx.input('W');
    const b = ctx.input('b');
    const a = ctx.input('A');
    const bb = ctx.input('B');
    const layer = new KronaLinear(linearFrom(w, b));
    layer.addAdapter('default', { aShape: a.shape as [number, number], bShape: bb.shape as [number, number], scale: ctx.param<number>('s'), scaleTrainable: false, zeroFactor: 'B' });
    layer.adapterParameters('default').forEach(([n, p]) => p.assign(n === 'krona_A' ? a : bb));
    layer.activeAdapter = 'default';
    tf.tidy(() => ctx.expectClose('y', layer.forward(x)));
    layer.merge('default');
    ctx.expectClose('mergedKernel', layer.baseLayer.weight.variable);
    tf.tidy(() => ctx.expectClose('yMerged', layer.forward(x)));
    tf.tidy(() => ctx.expectClose('yMerged', layer.baseLayer.forward(x)));
    layer.unmerge();
    ctx.expectClose('restoredKernel', layer.baseLayer.weight.variable);
    layer.dispose();
    tf.dispose([x, w, b, a, bb]);
  },

  kronaBlock(ctx: GoldenContext) {
    const x = ctx.input('x');
    const weights = ['W1', 'b1', 'W2', 'b2', 'A', 'B'].map((n) => ctx.input(n));
    const [w1, b1, w2, b2, a, bb] = weights as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
    const ffn = new Sequential([linearFrom(w1, b1), new GELU(), linearFrom(w2, b2)]);
    const residual = ctx.param<string>('variant') === 'KronA^B_res';
    const s = ctx.param<number>('s');
    const sRes = residual ? ctx.param<number>('s_res') : 0;
    const block = new KronaBlock(ffn, w1.shape[0]!);
    block.addAdapter('default', { aShape: a.shape as [number, number], bShape: bb.shape as [number, number], scale: s, scaleTrainable: false, zeroFactor: 'A', residual, resScale: sRes });
    block.adapterParameters('default').forEach(([n, p]) => p.assign(n === 'krona_A' ? a : bb));
    block.activeAdapter = 'default';
    tf.tidy(() => {
      ctx.expectClose('ffn', ffn.forward(x));
      ctx.expectClose('adapter', kronaAdapterForward(x, a, bb, s));
      if (residual) ctx.expectClose('residual', tf.mul(x, sRes));
      ctx.expectClose('y', block.forward(x));
    });
    block.dispose();
    tf.dispose([x, ...weights]);
  },

  loraForward(ctx: GoldenContext) {
    const x = ctx.input('x');
    const w = ctx.input('W');
    const b = ctx.input('b');
    const a = ctx.input('A');
    const bb = ctx.input('B');
    const r = ctx.param<number>('r');
    const alpha = ctx.param<number>('alpha');
    const useRslora = ctx.param<boolean>('useRslora');
    const layer = new LoraLinear(linearFrom(w, b));
    layer.addAdapter('default', { r, alpha, dropout: 0, useRslora, init: true });
    layer.adapterParameters('default').forEach(([n, p]) => p.assign(n === 'lora_A' ? a : bb));
    layer.activeAdapter = 'default';
    const scaling = loraScaling(r, alpha, useRslora);
    ctx.expectClose('scaling', scaling);
    ctx.expectClose('scaling', layer.scaling('default'));
    tf.tidy(() => {
      ctx.expectClose('y', layer.forward(x));
      ctx.expectClose('base', layer.baseLayer.forward(x));
      ctx.expectClose('delta', loraDelta(x, a, bb, scaling));
    });
    layer.dispose();
    tf.dispose([x, w, b, a, bb]);
  },

  lokrFactorization(ctx: GoldenContext) {
    if (ctx.hasInput('dims')) {
      const dims = ctx.inputValue<{ data: number[] }>('dims').data;
      const f = ctx.param<number>('factor');
      ctx.expectEqual('pairs', dims.flatMap((d) => factorization(d, f)));
      return;
    }
    const layers = ctx.param<{ inFeatures: number; outFeatures: number; r: number; decomposeFactor: number; decomposeBoth: boolean }[]>('layers');
    const exp = ctx.expected<{ shapes: Record<string, number[]>; adapterParams: number }[]>('layers');
    layers.forEach((l, i) => {
      const got = lokrLinearShapes(l);
      expect(got.shapes).toEqual(exp[i]!.shapes);
      expect(got.adapterParams).toBe(exp[i]!.adapterParams);
    });
  },

  paramCounts(ctx: GoldenContext) {
    const model = tinyBert(ctx);
    const baseParams = model.countParameters().all;
    ctx.expectEqual('baseParams', baseParams);
    const method = ctx.param<string>('method');
    let config: PeftConfig | null = null;
    if (method === 'bitfit') config = { method: 'bitfit', components: ctx.param<BitFitComponent[]>('components') };
    else if (method === 'lora') {
      config = { method: 'lora', r: ctx.param<number>('r'), targetModules: ctx.param<string[]>('targetModules'), bias: ctx.param<'none'>('bias'), modulesToSave: ctx.param<string[]>('modulesToSave') };
    } else if (method === 'krona') {
      config = {
        method: 'krona',
        aShape: ctx.param<[number, number]>('aShape'),
        bShape: ctx.param<[number, number]>('bShape'),
        targetModules: ctx.param<string[]>('targetModules'),
        modulesToSave: ctx.param<string[]>('modulesToSave'),
        scaleTrainable: ctx.param<boolean>('scaleTrainable'),
      };
    } else if (method !== 'full') throw new Error(`paramCounts: unknown method ${method}`);
    const peft = config ? applyPeft(model, config) : null;
    const c = model.countParameters();
    ctx.expectEqual('trainable', c.trainable);
    ctx.expectEqual('all', c.all);
    ctx.expectClose('percent', c.percent);
    ctx.expectEqual('adapterParams', peft ? peft.adapterParameterCount() : 0);
    peft?.dispose();
    model.dispose();
  },
};


describeGolden(new URL('./fixtures/peft.json', import.meta.url), handlers);
