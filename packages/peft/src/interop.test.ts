/**
 * Interop with Hugging Face peft 0.21 / transformers 5 on files they wrote (`$LEL_INTEROP`, default the copy of
 * `shared/interop` in `src/fixtures/interop`): a LoRA adapter (r 4, query/value, non-zero B, classifier in
 * `modules_to_save`) loads into LEL's LoRA and reproduces peft's logits, merged and unmerged; LEL writes the same
 * files back; LEL's own LoRA / BitFit / KronA adapters are written in peft's layout (LoRA, HF-named bias state,
 * LoKr) and checked against the formulas peft uses.
 */
import '@tensorflow/tfjs-backend-cpu';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { parseSafetensors, Rng, useBackend, type ParsedSafetensors } from '@lel/core';
import { readSafetensorsFile } from '@lel/core/node';
import { type BertForSequenceClassification } from '@lel/models';
import { loadPretrainedBert } from '@lel/models/node';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { applyPeft, PeftModel } from './peft-model';
import { kron } from './tuners/krona/layer';

const INTEROP = process.env.LEL_INTEROP ?? fileURLToPath(new URL('./fixtures/interop', import.meta.url));
const BERT_DIR = join(INTEROP, 'hf-tiny-bert');
const LORA_DIR = join(INTEROP, 'peft-lora');
const expected = JSON.parse(readFileSync(join(INTEROP, 'expected.json'), 'utf8')) as {
  generator: string;
  input_ids: number[][];
  attention_mask: number[][];
  token_type_ids: number[][];
  logits_base: number[][];
  logits_lora: number[][];
  logits_merged: number[][];
};
const hfConfig = JSON.parse(readFileSync(join(BERT_DIR, 'config.json'), 'utf8')) as { id2label: Record<string, string> };
const numLabels = Object.keys(hfConfig.id2label).length;

async function base(): Promise<BertForSequenceClassification> {
  const { model } = await loadPretrainedBert(BERT_DIR, { numLabels });
  return model.eval() as BertForSequenceClassification;
}

async function logits(model: BertForSequenceClassification): Promise<number[][]> {
  const inputs = {
    inputIds: tf.tensor2d(expected.input_ids, undefined, 'int32'),
    attentionMask: tf.tensor2d(expected.attention_mask, undefined, 'int32'),
    tokenTypeIds: tf.tensor2d(expected.token_type_ids, undefined, 'int32'),
  };
  const out = model.forward(inputs);
  const v = (await out.logits.array()) as number[][];
  tf.dispose([out.logits, out.lastHiddenState, out.poolerOutput, inputs.inputIds, inputs.attentionMask, inputs.tokenTypeIds]);
  return v;
}

const maxAbsDiff = (a: number[][], b: number[][]) => Math.max(...a.flatMap((row, i) => row.map((v, j) => Math.abs(v - b[i]![j]!))));
const readJson = async (f: string) => JSON.parse(await readFile(f, 'utf8')) as Record<string, unknown>;
const header = (p: ParsedSafetensors) => new Map([...p.tensors].map(([k, t]) => [k, { dtype: t.dtype, shape: t.shape }]));

describe(`interop with peft (${expected.generator})`, () => {
  let tmp: string;
  // LEL_INTEROP_OUT keeps what LEL writes (with LEL's logits) for reference/interop/check_lel_adapters.py.
  const keep = process.env.LEL_INTEROP_OUT;
  beforeAll(async () => {
    await useBackend('cpu');
    tmp = keep ?? (await mkdtemp(join(tmpdir(), 'lel-peft-interop-')));
    await mkdir(tmp, { recursive: true });
  });
  afterAll(async () => {
    if (!keep) await rm(tmp, { recursive: true, force: true });
  });
  const saveLogits = (dir: string, values: number[][]) => writeFile(join(dir, 'lel_logits.json'), JSON.stringify(values));

  test('PeftModel.fromPretrained reads peft’s LoRA folder (modules_to_save classifier) → logits_lora; merge → logits_merged', async () => {
    const model = await base();
    expect(maxAbsDiff(await logits(model), expected.logits_base)).toBeLessThanOrEqual(1e-5);
    const peft = await PeftModel.fromPretrained(model, LORA_DIR);
    const c = peft.config();
    expect(c).toMatchObject({ method: 'lora', r: 4, loraAlpha: 8, loraDropout: 0, bias: 'none', modulesToSave: ['classifier'] });
    expect(peft.countParameters().trainable).toBe(0); // inference by default, as peft's is_trainable=False
    const lora = await logits(model);
    expect(maxAbsDiff(lora, expected.logits_lora)).toBeLessThanOrEqual(1e-5);
    expect(maxAbsDiff(lora, expected.logits_base)).toBeGreaterThan(1e-4); // the adapter does something
    expect(maxAbsDiff(await peft.withAdaptersDisabled(() => logits(model)), expected.logits_base)).toBeLessThanOrEqual(1e-5);
    peft.merge();
    expect(maxAbsDiff(await logits(model), expected.logits_merged)).toBeLessThanOrEqual(1e-5);
    peft.unmerge();
    const merged = peft.mergeAndUnload();
    expect(maxAbsDiff(await logits(merged), expected.logits_merged)).toBeLessThanOrEqual(1e-5);
    merged.dispose();
  });

  test('load → save (format peft) writes the fixture’s tensors, keys and config back', async () => {
    const model = await base();
    const peft = await PeftModel.fromPretrained(model, LORA_DIR);
    const out = join(tmp, 'roundtrip');
    await peft.saveAdapter(out, 'default', { format: 'peft' });
    const theirs = await readSafetensorsFile(join(LORA_DIR, 'adapter_model.safetensors'));
    const ours = await readSafetensorsFile(join(out, 'adapter_model.safetensors'));
    expect(ours.metadata).toEqual(theirs.metadata);
    expect(header(ours)).toEqual(header(theirs));
    for (const [k, t] of theirs.tensors) expect(Array.from(ours.tensors.get(k)!.data as Float32Array), k).toEqual(Array.from(t.data as Float32Array));
    // The official serialiser's layout: the bytes are the same file.
    const [a, b] = await Promise.all([readFile(join(out, 'adapter_model.safetensors')), readFile(join(LORA_DIR, 'adapter_model.safetensors'))]);
    expect(Buffer.compare(a, b)).toBe(0);
    expect(await readJson(join(out, 'adapter_config.json'))).toEqual(await readJson(join(LORA_DIR, 'adapter_config.json')));
    model.dispose();
  });

  test('a LoRA made in LEL is saved with peft’s keys, shapes and config (what peft wrote for the same settings)', async () => {
    const model = await base();
    const peft = applyPeft(model, { method: 'lora', r: 4, loraAlpha: 8, targetModules: ['query', 'value'], seed: 3 });
    const rng = new Rng(4);
    for (const [n, p] of model.namedParameters()) if (n.includes('.lora_B.')) p.assign(rng.normalTensor(p.shape, 0, 0.1));
    const before = await logits(model);
    const out = join(tmp, 'lel-lora');
    await peft.saveAdapter(out); // default: peft's format
    await saveLogits(out, before);
    const theirs = await readSafetensorsFile(join(LORA_DIR, 'adapter_model.safetensors'));
    const ours = await readSafetensorsFile(join(out, 'adapter_model.safetensors'));
    expect(header(ours)).toEqual(header(theirs));
    const fixtureConfig = await readJson(join(LORA_DIR, 'adapter_config.json'));
    const config = await readJson(join(out, 'adapter_config.json'));
    for (const k of ['peft_type', 'task_type', 'r', 'lora_alpha', 'lora_dropout', 'target_modules', 'bias', 'use_rslora', 'fan_in_fan_out', 'use_dora', 'lora_bias', 'rank_pattern', 'alpha_pattern', 'layers_to_transform', 'layers_pattern', 'exclude_modules', 'inference_mode']) {
      expect(config[k], k).toEqual(fixtureConfig[k]);
    }
    expect(config['modules_to_save']).toEqual(['classifier']); // peft adds "score" itself for SEQ_CLS
    // lora_A [r, in] = Aᵀ, lora_B [out, r] = Bᵀ.
    const a = model.getParameter('encoder.layer.1.attention.self.value.lora_A.default');
    const fileA = ours.tensors.get('base_model.model.bert.encoder.layer.1.attention.self.value.lora_A.weight')!;
    expect(Array.from(fileA.data as Float32Array)).toEqual(Array.from((await tf.transpose(a.variable).data()) as Float32Array));
    // And it loads back onto a fresh model with the same function.
    const fresh = await base();
    await PeftModel.fromPretrained(fresh, out);
    expect(maxAbsDiff(await logits(fresh), before)).toBe(0);
    model.dispose();
    fresh.dispose();
  });

  test('BitFit: trained biases and the classifier under transformers’ names and layouts (loadable with load_state_dict)', async () => {
    const model = await base();
    const peft = applyPeft(model, { method: 'bitfit', components: ['query', 'intermediate'] });
    const rng = new Rng(5);
    for (const n of peft.trainableParameterNames()) model.getParameter(n).assign(rng.normalTensor(model.getParameter(n).shape, 0, 0.1));
    const before = await logits(model);
    const out = join(tmp, 'bitfit');
    await peft.saveAdapter(out);
    await saveLogits(out, before);
    const config = await readJson(join(out, 'adapter_config.json'));
    expect(config).toMatchObject({ peft_type: 'BITFIT', task_type: 'SEQ_CLS', bias_terms: ['query', 'intermediate'] });
    const saved = await readSafetensorsFile(join(out, 'adapter_model.safetensors'));
    const hf = await readSafetensorsFile(join(BERT_DIR, 'model.safetensors'));
    const keys = [...saved.tensors.keys()].map((k) => k.slice('base_model.model.'.length)).sort();
    expect(keys).toEqual(
      ['bert.encoder.layer.0.attention.self.query.bias', 'bert.encoder.layer.0.intermediate.dense.bias', 'bert.encoder.layer.1.attention.self.query.bias', 'bert.encoder.layer.1.intermediate.dense.bias', 'bert.pooler.dense.bias', 'classifier.bias', 'classifier.weight'].sort(),
    );
    // Every key names a tensor of the transformers checkpoint, with its shape ([out, in] for the classifier).
    for (const k of keys) expect(saved.tensors.get('base_model.model.' + k)!.shape, k).toEqual(hf.tensors.get(k)!.shape);
    const fresh = await base();
    await PeftModel.fromPretrained(fresh, out);
    expect(maxAbsDiff(await logits(fresh), before)).toBe(0);
    model.dispose();
    fresh.dispose();
  });

  test('KronA is written as LoKr (lokr_w1 = Aᵀ, lokr_w2 = Bᵀ, alpha / r = s): peft’s ΔW = (α/r)·kron(w1, w2) is KronA’s', async () => {
    const model = await base();
    const peft = applyPeft(model, { method: 'krona', scale: 0.5, scaleTrainable: true, seed: 6 });
    const rng = new Rng(7);
    for (const [n, p] of model.namedParameters()) if (n.includes('.krona_')) p.assign(n.includes('krona_scale') ? tf.scalar(0.75) : rng.normalTensor(p.shape, 0, 0.2));
    const before = await logits(model);
    const out = join(tmp, 'krona');
    await peft.saveAdapter(out);
    await saveLogits(out, before);
    const config = await readJson(join(out, 'adapter_config.json'));
    expect(config).toMatchObject({ peft_type: 'LOKR', task_type: 'SEQ_CLS', decompose_both: false, decompose_factor: -1, rank_dropout: 0, module_dropout: 0, target_modules: ['query', 'value'] });
    const saved = parseSafetensors(new Uint8Array(await readFile(join(out, 'adapter_model.safetensors'))));
    const w1 = saved.tensors.get('base_model.model.bert.encoder.layer.0.attention.self.query.lokr_w1')!;
    const w2 = saved.tensors.get('base_model.model.bert.encoder.layer.0.attention.self.query.lokr_w2')!;
    expect(w1.shape).toEqual([4, 4]); // [out_l, in_m] of factorization(32) = (4, 8)
    expect(w2.shape).toEqual([8, 8]);
    // LoKr keeps w2 whole only for r ≥ max(out_k, in_n) / 2.
    expect(config['r'] as number).toBeGreaterThanOrEqual(4);
    const layer = model.getModule('encoder.layer.0.attention.self.query') as unknown as { deltaKernel(n: string): tf.Tensor };
    const lokrDelta = tf.tidy(() => tf.mul(kron(tf.tensor(w1.data as Float32Array, w1.shape), tf.tensor(w2.data as Float32Array, w2.shape)), (config['alpha'] as number) / (config['r'] as number)));
    const ours = tf.tidy(() => tf.transpose(layer.deltaKernel('default'))); // [out, in], PyTorch's layout
    expect(tf.max(tf.abs(tf.sub(lokrDelta, ours))).dataSync()[0]).toBeLessThan(1e-6);
    tf.dispose([lokrDelta, ours]);
    // Back into LEL (the learned s is folded into w1): same function.
    const fresh = await base();
    const again = await PeftModel.fromPretrained(fresh, out);
    expect(again.config()).toMatchObject({ method: 'krona', variant: 'linear', scale: 0.5, scaleTrainable: false });
    expect(maxAbsDiff(await logits(fresh), before)).toBeLessThan(1e-6);
    model.dispose();
    fresh.dispose();
  });

  test('no peft form: RelBitFit, KronA^B and custom KronA shapes use LEL’s format; unsupported peft settings are named', async () => {
    const model = await base();
    const rel = applyPeft(model, { method: 'relbitfit', maxDistance: 4 });
    await expect(rel.saveAdapter(join(tmp, 'rel'), 'default', { format: 'peft' })).rejects.toThrow(/cannot be saved in peft's format: peft has no RelBitFit/);
    const files = await rel.saveAdapter(join(tmp, 'rel'));
    expect((await readJson(files[0]!))['method']).toBe('relbitfit');
    rel.unload();
    const odd = applyPeft(model, { method: 'krona', aShape: [2, 16], seed: 1 });
    await expect(odd.saveAdapter(join(tmp, 'odd'), 'default', { format: 'peft' })).rejects.toThrow(/not LoKr's factorisation/);
    odd.unload();
    // A peft file whose settings change the function LEL computes is refused, naming them.
    const { copyFile } = await import('node:fs/promises');
    const bad = join(tmp, 'dora');
    await mkdir(bad, { recursive: true });
    await copyFile(join(LORA_DIR, 'adapter_model.safetensors'), join(bad, 'adapter_model.safetensors'));
    const cfg = await readJson(join(LORA_DIR, 'adapter_config.json'));
    await writeFile(join(bad, 'adapter_config.json'), JSON.stringify({ ...cfg, use_dora: true, rank_pattern: { query: 8 } }));
    await expect(PeftModel.fromPretrained(model, bad)).rejects.toThrow(/peft settings LEL does not implement .*rank_pattern = \{"query":8\}, use_dora = true/);
    await writeFile(join(bad, 'adapter_config.json'), JSON.stringify({ ...cfg, peft_type: 'IA3' }));
    await expect(PeftModel.fromPretrained(model, bad)).rejects.toThrow(/peft_type "IA3" has no LEL equivalent/);
    await writeFile(join(bad, 'adapter_config.json'), JSON.stringify({ ...cfg, r: 8 }));
    await expect(PeftModel.fromPretrained(model, bad)).rejects.toThrow(/mis-shaped: base_model\.model\.bert\.encoder\.layer\.0\.attention\.self\.query\.lora_A\.weight expected \[8,32\] got \[4,32\]/);
    expect(model.namedParameters().some(([n]) => n.includes('lora'))).toBe(false); // nothing was added
    model.dispose();
  });
});
