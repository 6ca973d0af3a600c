import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { type Module } from '@lel/core';
import { readSafetensorsFile, writeSafetensorsFile } from '@lel/core/node';
import { loadWordPieceTokenizer } from '../tokenizer/load-tokenizer';
import type { WordPieceTokenizer } from '../tokenizer/wordpiece';
import { bertConfigFromHf, bertConfigToHf, type BertConfig } from './config';
import { bertWeightsToHf, loadBertWeights, type BertLoadReport, type CheckpointTensor, type LoadBertWeightsOptions } from './checkpoint';
import { BertForMaskedLM } from './masked-lm';
import { BertForPreTraining } from './pre-training';
import { BertModel } from './model';
import { BertForSequenceClassification } from './sequence-classification';

async function isFile(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}

/**
 * Read every tensor of a Hugging Face checkpoint: a `.safetensors` file, a `model.safetensors.index.json`
 * (sharded; `weight_map` names the shard of each tensor), or a folder holding either.
 */
export async function readBertCheckpoint(path: string): Promise<Map<string, CheckpointTensor>> {
  let file = path;
  if ((await stat(path)).isDirectory()) {
    const single = join(path, 'model.safetensors');
    const index = join(path, 'model.safetensors.index.json');
    if (await isFile(single)) file = single;
    else if (await isFile(index)) file = index;
    else throw new Error(`readBertCheckpoint: ${path} has neither model.safetensors nor model.safetensors.index.json (PyTorch .bin files are not supported: convert them to safetensors)`);
  }
  if (!file.endsWith('.json')) return (await readSafetensorsFile(file)).tensors;
  const index = JSON.parse(await readFile(file, 'utf8')) as { weight_map?: Record<string, string> };
  if (!index.weight_map) throw new Error(`readBertCheckpoint: ${file} has no weight_map`);
  const shards = [...new Set(Object.values(index.weight_map))];
  const out = new Map<string, CheckpointTensor>();
  for (const shard of shards) {
    const { tensors } = await readSafetensorsFile(join(dirname(file), shard));
    for (const [name, t] of tensors) {
      const owner = index.weight_map[name];
      if (owner === undefined) throw new Error(`readBertCheckpoint: ${shard} holds "${name}", which the index does not list`);
      if (owner !== shard) throw new Error(`readBertCheckpoint: "${name}" is in ${shard} but the index puts it in ${owner}`);
      out.set(name, t);
    }
  }
  for (const name of Object.keys(index.weight_map)) {
    if (!out.has(name)) throw new Error(`readBertCheckpoint: "${name}" is listed in the index but absent from ${index.weight_map[name]}`);
  }
  return out;
}

/** {@link readBertCheckpoint} then {@link loadBertWeights}. */
export async function loadBertWeightsFromFile(model: Module, path: string, options: LoadBertWeightsOptions = {}): Promise<BertLoadReport> {
  return loadBertWeights(model, await readBertCheckpoint(path), options);
}

/** Options of {@link loadPretrainedBert}. */
export interface LoadPretrainedBertOptions extends LoadBertWeightsOptions {
  /** Add a sequence-classification head with this many labels (fresh unless the checkpoint has one). */
  numLabels?: number;
  /** Override config values (dropout rates, …) read from `config.json`. */
  config?: Partial<BertConfig>;
}

/** What {@link loadPretrainedBert} returns. */
export interface PretrainedBert<M extends BertModel> {
  model: M;
  /** From `tokenizer.json` or `vocab.txt` in the folder, when present. */
  tokenizer: WordPieceTokenizer | null;
  config: BertConfig;
  report: BertLoadReport;
}

/**
 * Load a Hugging Face BERT folder you downloaded yourself (`config.json`, `model.safetensors` or sharded
 * `model.safetensors.index.json`, and `tokenizer.json`/`vocab.txt`): a {@link BertModel}, or a
 * {@link BertForSequenceClassification} when `numLabels` is given. Node only.
 */
export async function loadPretrainedBert(dir: string, options: LoadPretrainedBertOptions & { numLabels: number }): Promise<PretrainedBert<BertForSequenceClassification>>;
export async function loadPretrainedBert(dir: string, options?: LoadPretrainedBertOptions): Promise<PretrainedBert<BertModel>>;
export async function loadPretrainedBert(dir: string, options: LoadPretrainedBertOptions = {}): Promise<PretrainedBert<BertModel>> {
  const configPath = join(dir, 'config.json');
  if (!(await isFile(configPath))) throw new Error(`loadPretrainedBert: ${dir} has no config.json`);
  const hf = JSON.parse(await readFile(configPath, 'utf8')) as Record<string, unknown>;
  const config = { ...bertConfigFromHf(hf), ...options.config };
  const tensors = await readBertCheckpoint(dir);
  const model = options.numLabels !== undefined ? new BertForSequenceClassification(config, { numLabels: options.numLabels }) : new BertModel(config);
  let report: BertLoadReport;
  try {
    report = loadBertWeights(model, tensors, options);
  } catch (e) {
    model.dispose();
    throw e;
  }
  const hasTokenizer = (await isFile(join(dir, 'tokenizer.json'))) || (await isFile(join(dir, 'vocab.txt')));
  const tokenizer = hasTokenizer ? await loadWordPieceTokenizer(dir) : null;
  return { model, tokenizer, config: model.config, report };
}

/** Options of {@link saveBertPretrained}. */
export interface SaveBertPretrainedOptions {
  /** Also write `vocab.txt`. */
  tokenizer?: WordPieceTokenizer;
  /** Split weights into `model-0000i-of-0000n.safetensors` shards of at most this many bytes, plus the index. */
  maxShardBytes?: number;
  /** Extra `config.json` keys (e.g. `architectures`, `id2label`). */
  extraConfig?: Record<string, unknown>;
  /** Backbone name prefix (default `bert.` for models with a head, none for BertModel). */
  prefix?: string;
  /** Storage dtype of the weights: F32 (default) or F16 (half the size; loaders widen it back to float32). */
  dtype?: 'F32' | 'F16';
}

/**
 * Save in Hugging Face layout (`config.json`, `model.safetensors` or shards + index, optional
 * `vocab.txt`), with HF names and [out, in] Linear weights, so `transformers` (PyTorch) loads the folder.
 */
export async function saveBertPretrained(model: BertModel, dir: string, options: SaveBertPretrainedOptions = {}): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const weights = await bertWeightsToHf(model, { prefix: options.prefix });
  // F16 storage: same values, rounded to nearest even by the serialiser.
  if (options.dtype === 'F16') for (const [k, t] of weights) weights.set(k, { ...t, dtype: 'F16' as 'F32' });
  const written: string[] = [];
  const metadata = { format: 'pt' };
  if (options.maxShardBytes === undefined) {
    const p = join(dir, 'model.safetensors');
    await writeSafetensorsFile(p, weights, metadata);
    written.push(p);
  } else {
    const shards: Map<string, { dtype: 'F32'; shape: number[]; data: Float32Array }>[] = [new Map()];
    let size = 0;
    for (const [name, t] of weights) {
      if (size > 0 && size + t.data.byteLength > options.maxShardBytes) {
        shards.push(new Map());
        size = 0;
      }
      shards[shards.length - 1]!.set(name, t);
      size += t.data.byteLength;
    }
    const pad = (i: number) => String(i).padStart(5, '0');
    const weightMap: Record<string, string> = {};
    let total = 0;
    for (let i = 0; i < shards.length; i++) {
      const fileName = `model-${pad(i + 1)}-of-${pad(shards.length)}.safetensors`;
      await writeSafetensorsFile(join(dir, fileName), shards[i]!, metadata);
      written.push(join(dir, fileName));
      for (const [name, t] of shards[i]!) {
        weightMap[name] = fileName;
        total += t.data.byteLength;
      }
    }
    const indexPath = join(dir, 'model.safetensors.index.json');
    await writeFile(indexPath, JSON.stringify({ metadata: { total_size: total }, weight_map: weightMap }, null, 2));
    written.push(indexPath);
  }
  const architectures =
    model instanceof BertForSequenceClassification
      ? ['BertForSequenceClassification']
      : model instanceof BertForPreTraining
        ? ['BertForPreTraining']
        : model instanceof BertForMaskedLM
          ? ['BertForMaskedLM']
          : ['BertModel'];
  const extra: Record<string, unknown> = { architectures, ...options.extraConfig };
  if (model instanceof BertForSequenceClassification && extra['num_labels'] === undefined && extra['id2label'] === undefined) {
    extra['id2label'] = Object.fromEntries(Array.from({ length: model.numLabels }, (_, i) => [String(i), `LABEL_${i}`]));
  }
  const configPath = join(dir, 'config.json');
  await writeFile(configPath, JSON.stringify(bertConfigToHf(model.config, extra), null, 2));
  written.push(configPath);
  if (options.tokenizer) {
    const vocabPath = join(dir, 'vocab.txt');
    await writeFile(vocabPath, options.tokenizer.toVocabTxt());
    written.push(vocabPath);
  }
  return written;
}
