import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { AdamW, computeGradients, crossEntropy, useBackend } from '@lel/core';
import { BertForSequenceClassification } from '@lel/models';
import { loadBertWeightsFromFile } from '@lel/models/node';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { applyPeft, PeftModel, type PeftConfig } from './index';
import { TINY_BERT, logitsOf, snapshot, tinyBatch, tinyBert } from './test-utils.fixture';

const METHODS: Record<string, PeftConfig> = {
  bitfit: { method: 'bitfit' },
  relbitfit: { method: 'relbitfit', maxDistance: 3, seed: 1 },
  'relbitfit-pt-lr-clip': { method: 'relbitfit', maxDistance: 2, rank: 2, shareAcrossHeads: true, shareAcrossLayers: true, seed: 1 },
  lora: { method: 'lora', r: 4, seed: 1 },
  krona: { method: 'krona', seed: 1 },
  'krona-block-res': { method: 'krona', variant: 'block_res', seed: 1, zeroFactor: 'B' },
};

/** One AdamW step on the tiny batch; returns the names whose values changed. */
async function trainOneStep(model: BertForSequenceClassification): Promise<string[]> {
  const before = snapshot(model);
  const opt = new AdamW(model.trainableParameters(), { lr: 1e-2, weightDecay: 0 });
  const b = tinyBatch();
  const { loss, grads } = await computeGradients(() => {
    const out = model.forward(b);
    return crossEntropy(out.logits, b.labels) as tf.Scalar;
  }, model.trainableParameters());
  opt.step(grads);
  tf.dispose([loss, ...grads.values(), b.inputIds, b.attentionMask, b.labels]);
  opt.dispose();
  const after = snapshot(model);
  const changed: string[] = [];
  for (const [n, v] of after) {
    const old = before.get(n);
    if (!old || old.some((x, i) => x !== v[i])) changed.push(n);
  }
  return changed;
}

describe('PeftModel', () => {
  let dir: string;
  beforeAll(async () => {
    await useBackend('wasm');
    dir = await mkdtemp(join(tmpdir(), 'lel-peft-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test.each(Object.entries(METHODS))('%s: starts as the base model, trains only its own tensors, no leaks', async (_name, config) => {
    const model = tinyBert();
    const base = logitsOf(model);
    const tensors = tf.memory().numTensors;
    const peft = applyPeft(model, config);
    // One factor (or B, or the tables) starts at zero: the wrapped model computes the pretrained function.
    // (KronA^B_res adds s_res·x from the start, by definition.)
    const wrapped = logitsOf(model);
    if (_name !== 'krona-block-res') wrapped.forEach((v, i) => expect(v).toBeCloseTo(base[i]!, 5));
    else expect(wrapped.some((v, i) => Math.abs(v - base[i]!) > 1e-6)).toBe(true);
    const intended = new Set(peft.trainableParameterNames());
    expect(intended.size).toBeGreaterThan(0);
    expect(model.trainableParameters().map(([n]) => n).sort()).toEqual([...intended].sort());
    const changed = await trainOneStep(model);
    // Every parameter not trained is bit-identical; every changed one is intended.
    for (const n of changed) expect(intended.has(n), `${n} changed`).toBe(true);
    expect(changed.length).toBeGreaterThan(0);
    expect(changed.some((n) => n.startsWith('classifier.'))).toBe(true);
    if (config.method !== 'bitfit') expect(changed.some((n) => /(lora|krona|relbitfit)_/.test(n)), 'adapter tensors learn').toBe(true);
    peft.unload();
    expect(tf.memory().numTensors).toBe(tensors);
    // unload restores the pretrained function and names.
    logitsOf(model).forEach((v, i) => expect(v).toBeCloseTo(base[i]!, 5));
    expect(model.namedParameters().map(([n]) => n)).toEqual(tinyBert(1).namedParameters().map(([n]) => n));
    model.dispose();
  });

  test('BitFit trains exactly the biases, pooler bias and classifier; the key bias has no gradient', async () => {
    const model = tinyBert();
    applyPeft(model, { method: 'bitfit' });
    const names = model.trainableParameters().map(([n]) => n);
    expect(names.every((n) => n.endsWith('bias') || n === 'classifier.weight')).toBe(true);
    const b = tinyBatch();
    const { loss, grads } = await computeGradients(() => crossEntropy(model.forward(b).logits, b.labels) as tf.Scalar, model.trainableParameters());
    for (const layer of [0, 1]) {
      const gk = tf.max(tf.abs(grads.get(`encoder.layer.${layer}.attention.self.key.bias`)!)).dataSync()[0]!;
      const gq = tf.max(tf.abs(grads.get(`encoder.layer.${layer}.attention.self.query.bias`)!)).dataSync()[0]!;
      expect(gq).toBeGreaterThan(0);
      expect(gk).toBeLessThan(1e-3 * gq); // zero up to float rounding
    }
    tf.dispose([loss, ...grads.values(), b.inputIds, b.attentionMask, b.labels]);
    model.dispose();
  });

  test('RelBitFit: PT/LR/Clip parameter counts, key bias frozen, tying stores one table', () => {
    const count = (cfg: PeftConfig) => {
      const model = tinyBert();
      const peft = applyPeft(model, cfg);
      const r = { adapter: peft.adapterParameterCount(), trainable: peft.countParameters().trainable, names: peft.trainableParameterNames() };
      peft.unload();
      model.dispose();
      return r;
    };
    const bitfit = count({ method: 'bitfit' });
    // hidden 16, 2 heads (d_head 8), 2 layers; L_max = 23 → 47 buckets when unclipped.
    const full = count({ method: 'relbitfit' });
    expect(full.adapter).toBe(2 * (2 * 47 * 8 + 2 * 47));
    expect(full.names.some((n) => n.includes('attention.self.key.bias'))).toBe(false);
    expect(full.trainable).toBe(bitfit.trainable - 2 * 16 + full.adapter);
    expect(count({ method: 'relbitfit', maxDistance: 4 }).adapter).toBe(2 * (2 * 9 * 8 + 2 * 9));
    expect(count({ method: 'relbitfit', maxDistance: 4, shareAcrossHeads: true }).adapter).toBe(2 * (9 * 8 + 9));
    expect(count({ method: 'relbitfit', maxDistance: 4, shareAcrossLayers: true }).adapter).toBe(2 * 9 * 8 + 2 * 9);
    expect(count({ method: 'relbitfit', maxDistance: 4, rank: 2 }).adapter).toBe(2 * (9 * 2 + 2 * 16 + 2 * 9));
    const all3 = count({ method: 'relbitfit', maxDistance: 4, rank: 2, shareAcrossHeads: true, shareAcrossLayers: true });
    expect(all3.adapter).toBe(9 * 2 + 2 * 8 + 9);
    expect(count({ method: 'relbitfit', trainKeyBias: true }).names.some((n) => n.endsWith('attention.self.key.bias'))).toBe(true);
  });

  test('merged and unmerged outputs are equal (LoRA, KronA); non-linear adapters refuse to merge', async () => {
    for (const cfg of [METHODS['lora']!, METHODS['krona']!, { method: 'krona', zeroFactor: 'B', targetModules: 'all-linear', seed: 3 } as PeftConfig]) {
      const model = tinyBert();
      const peft = applyPeft(model, cfg);
      await trainOneStep(model); // make the adapter non-zero
      await trainOneStep(model);
      const unmerged = logitsOf(model);
      const w0 = snapshot(model);
      peft.merge();
      logitsOf(model).forEach((v, i) => expect(v).toBeCloseTo(unmerged[i]!, 5));
      peft.unmerge();
      for (const [n, v] of snapshot(model)) Array.from(v).forEach((x, i) => expect(x).toBeCloseTo(w0.get(n)![i]!, 6));
      const merged = peft.mergeAndUnload();
      logitsOf(merged).forEach((v, i) => expect(v).toBeCloseTo(unmerged[i]!, 5));
      expect(merged.namedParameters().some(([n]) => /lora|krona|base_layer/.test(n))).toBe(false);
      model.dispose();
    }
    for (const cfg of [METHODS['relbitfit']!, METHODS['krona-block-res']!]) {
      const model = tinyBert();
      const peft = applyPeft(model, cfg);
      expect(() => peft.merge()).toThrow(/cannot be merged/);
      peft.unload();
      model.dispose();
    }
  });

  test.each(Object.entries(METHODS))('%s: adapter save → load onto a fresh base model gives equal outputs', async (name, config) => {
    const model = tinyBert();
    const peft = applyPeft(model, config);
    await trainOneStep(model);
    await trainOneStep(model);
    const trained = logitsOf(model);
    const out = join(dir, name);
    const files = await peft.saveAdapter(out);
    expect(files.map((f) => f.slice(out.length + 1)).sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors']);
    const fresh = tinyBert(); // same pretrained weights, untouched
    const loaded = await PeftModel.fromPretrained(fresh, out);
    logitsOf(fresh).forEach((v, i) => expect(v).toBeCloseTo(trained[i]!, 5));
    expect(fresh.countParameters().trainable).toBe(0); // inference by default (peft is_trainable=False)
    loaded.dispose();
    peft.dispose();
    model.dispose();
    fresh.dispose();
  });

  test('a saved adapter that does not fit the model is refused with the list of differences', async () => {
    const model = tinyBert();
    const peft = applyPeft(model, { method: 'lora', r: 2, seed: 1 });
    const out = join(dir, 'lora-r2');
    await peft.saveAdapter(out);
    const other = new BertForSequenceClassification({ ...TINY_BERT, hiddenSize: 8 }, { numLabels: 2 });
    await expect(PeftModel.fromPretrained(other, out)).rejects.toThrow(/mis-shaped: base_model\.model\.bert\.encoder\.layer\.0\.attention\.self\.query\.lora_A\.weight expected \[2,8\] got \[2,16\]/);
    // LEL's own format names LEL's keys.
    await peft.saveAdapter(out, 'default', { format: 'lel' });
    await expect(PeftModel.fromPretrained(other, out)).rejects.toThrow(/mis-shaped: encoder\.layer\.0\.attention\.self\.query\.lora_A expected \[8,2\] got \[16,2\]/);
    expect(other.namedParameters().some(([n]) => n.includes('lora'))).toBe(false);
    peft.dispose();
    model.dispose();
    other.dispose();
  });

  test('several adapters: list, switch (heads swapped too), disable, delete', async () => {
    const model = tinyBert();
    const base = logitsOf(model);
    const peft = applyPeft(model, { method: 'lora', r: 2, seed: 1 }, { adapterName: 'a' });
    await trainOneStep(model);
    const outA = logitsOf(model);
    expect(() => peft.addAdapter('c', { method: 'krona' })).toThrow(/LoraLinear.*is not a dense layer KronA can wrap/);
    peft.addAdapter('b', { method: 'krona', targetModules: ['key'], seed: 2, zeroFactor: 'B' });
    peft.addAdapter('a2', { method: 'lora', r: 3, seed: 5 });
    peft.deleteAdapter('a2');
    peft.setAdapter('b');
    expect(peft.listAdapters()).toEqual(['a', 'b']);
    // A fresh adapter (with its own copy of the classifier) computes the base function.
    logitsOf(model).forEach((v, i) => expect(v).toBeCloseTo(base[i]!, 5));
    expect(peft.trainableParameterNames().every((n) => n.includes('krona') || n.startsWith('classifier.'))).toBe(true);
    await trainOneStep(model);
    const outB = logitsOf(model);
    peft.setAdapter('a');
    logitsOf(model).forEach((v, i) => expect(v).toBeCloseTo(outA[i]!, 5));
    peft.withAdaptersDisabled(() => logitsOf(model).forEach((v, i) => expect(v).toBeCloseTo(base[i]!, 5)));
    peft.setAdapter('b');
    logitsOf(model).forEach((v, i) => expect(v).toBeCloseTo(outB[i]!, 5));
    peft.deleteAdapter('b');
    expect(peft.listAdapters()).toEqual(['a']);
    expect(model.namedParameters().some(([n]) => n.includes('krona'))).toBe(false);
    peft.setAdapter('a');
    logitsOf(model).forEach((v, i) => expect(v).toBeCloseTo(outA[i]!, 5));
    peft.unload();
    model.dispose();
  });

  test('merge into the base and save a full checkpoint that a plain BERT loads', async () => {
    const { saveBertPretrained } = await import('@lel/models/node');
    const model = tinyBert();
    const peft = applyPeft(model, { method: 'lora', r: 2, seed: 1, bias: 'all' });
    await trainOneStep(model);
    const trained = logitsOf(model);
    const merged = peft.mergeAndUnload();
    const out = join(dir, 'merged');
    await saveBertPretrained(merged, out);
    const fresh = new BertForSequenceClassification(TINY_BERT, { numLabels: 2 }).eval() as BertForSequenceClassification;
    await loadBertWeightsFromFile(fresh, join(out, 'model.safetensors'));
    logitsOf(fresh).forEach((v, i) => expect(v).toBeCloseTo(trained[i]!, 5));
    model.dispose();
    fresh.dispose();
  });

  test('clear errors: a target pattern matching nothing, an unknown option, a wrong module type', () => {
    const model = tinyBert();
    expect(() => applyPeft(model, { method: 'lora', targetModules: ['qeury'] })).toThrow(/targetModules \["qeury"\] matched no module/);
    expect(() => applyPeft(model, { method: 'lora', targetModules: 'encoder\\.layer\\.9\\..*' })).toThrow(/matched no module/);
    expect(() => applyPeft(model, { method: 'lora', layersToTransform: [5] })).toThrow(/in layers \[5\]/);
    expect(() => applyPeft(model, { method: 'lora', r: 0 })).toThrow(/r/);
    expect(() => applyPeft(model, { method: 'lora', targetModule: ['query'] } as PeftConfig)).toThrow(/targetModule.*unknown key/);
    expect(() => applyPeft(model, { method: 'dora' } as unknown as PeftConfig)).toThrow(/method/);
    expect(() => applyPeft(model, { method: 'krona', targetModules: ['embeddings'] })).toThrow(/is not a dense layer/);
    expect(() => applyPeft(model, { method: 'krona', aShape: [3, 4], bShape: [5, 4] })).toThrow(/do not fit/);
    expect(() => applyPeft(model, { method: 'lora', modulesToSave: ['head'] })).toThrow(/modulesToSave: "head" matches no module/);
    expect(model.namedParameters().some(([n]) => /lora|krona/.test(n))).toBe(false);
    model.dispose();
  });
});
