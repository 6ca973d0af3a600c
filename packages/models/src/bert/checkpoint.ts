import * as tf from '@tensorflow/tfjs-core';
import type { Module } from '@lel/core';

/** A tensor as read from a safetensors file (float data already decoded from F16/BF16). */
export interface CheckpointTensor {
  dtype: string;
  shape: number[];
  data: ArrayLike<number> | BigInt64Array | BigUint64Array;
}

/** What {@link loadBertWeights} did. */
export interface BertLoadReport {
  /** Our parameter names that received a checkpoint tensor. */
  loaded: string[];
  /** Checkpoint names skipped on purpose: pretraining heads the model lacks, `position_ids`, tied decoder copies. */
  ignored: string[];
  /** Head parameters (`classifier.*`, `cls.*`) absent from the checkpoint: they keep their fresh initialisation. */
  newlyInitialized: string[];
}

/** Options of {@link loadBertWeights}. */
export interface LoadBertWeightsOptions {
  /**
   * Refuse backbone parameters missing from the checkpoint and checkpoint tensors that map to nothing
   * (other than known pretraining heads). Default true. Mis-shaped tensors are always refused.
   */
  strict?: boolean;
}

// Heads that HF checkpoints carry and a model may or may not have.
const HEAD_PREFIXES = ['cls.', 'classifier.', 'qa_outputs.'];
const isHead = (name: string) => HEAD_PREFIXES.some((p) => name.startsWith(p));

/**
 * Whether a parameter or module path belongs to a task head (`classifier`, `cls`, `qa_outputs`), which
 * transformers names without the backbone's `bert.` prefix.
 */
export function isBertHeadName(name: string): boolean {
  return isHead(name) || isHead(name + '.');
}

/**
 * The prefix transformers puts before the backbone names of `model`: `bert.` when the model has a head
 * (`BertForSequenceClassification`, `BertForMaskedLM`), none for a bare `BertModel` (or a model without heads).
 */
export function hfBackbonePrefix(model: Module): string {
  return model.namedParameters().some(([n]) => isHead(n)) ? 'bert.' : '';
}

/** Whether a parameter is a Linear kernel (stored [out, in] by PyTorch, [in, out] here). */
function isLinearWeight(name: string, rank: number): boolean {
  return rank === 2 && name.endsWith('.weight') && !name.endsWith('_embeddings.weight');
}

/**
 * HF checkpoint name → our parameter name: drops the `bert.` prefix and maps legacy LayerNorm
 * `gamma`/`beta` to `weight`/`bias`.
 */
export function hfToLelName(name: string): string {
  let n = name.startsWith('bert.') ? name.slice('bert.'.length) : name;
  n = n.replace(/LayerNorm\.gamma$/, 'LayerNorm.weight').replace(/LayerNorm\.beta$/, 'LayerNorm.bias');
  return n;
}

function toFloat32(t: CheckpointTensor, name: string): Float32Array {
  if (t.data instanceof BigInt64Array || t.data instanceof BigUint64Array) {
    throw new Error(`loadBertWeights: tensor "${name}" is ${t.dtype}; BERT parameters must be floating point`);
  }
  return t.data instanceof Float32Array ? t.data : Float32Array.from(t.data as ArrayLike<number>);
}

/**
 * Load Hugging Face BERT weights (BertModel, BertForSequenceClassification, BertForPreTraining or
 * BertForMaskedLM files) into a BERT module of this package: accepts names with or without `bert.`,
 * `LayerNorm.weight/bias` or legacy `gamma/beta`, F32/F16/BF16 data; transposes Linear weights to
 * [in, out]; ignores pretraining heads the model does not have. Nothing is changed when it throws: every
 * mis-shaped tensor (and, when strict, missing backbone or unknown tensor) is listed in the error.
 */
export function loadBertWeights(model: Module, tensors: Map<string, CheckpointTensor>, options: LoadBertWeightsOptions = {}): BertLoadReport {
  const strict = options.strict ?? true;
  const params = new Map(model.namedParameters());
  const report: BertLoadReport = { loaded: [], ignored: [], newlyInitialized: [] };
  const problems: string[] = [];
  const assignments: [string, string, CheckpointTensor][] = [];
  const seen = new Map<string, string>();
  for (const [ckName, t] of tensors) {
    const ours = hfToLelName(ckName);
    if (ours.endsWith('position_ids') || ours === 'cls.predictions.decoder.weight' || ours === 'cls.predictions.decoder.bias') {
      // position_ids is a constant buffer; the MLM decoder is tied to the word embeddings and its bias to cls.predictions.bias.
      report.ignored.push(ckName);
      continue;
    }
    const p = params.get(ours);
    if (!p) {
      if (isHead(ours) || !strict) report.ignored.push(ckName);
      else problems.push(`  unexpected: ${ckName}`);
      continue;
    }
    const prev = seen.get(ours);
    if (prev !== undefined) {
      problems.push(`  duplicate:  ${ckName} and ${prev} both map to ${ours}`);
      continue;
    }
    seen.set(ours, ckName);
    const shape = isLinearWeight(ours, t.shape.length) ? [t.shape[1]!, t.shape[0]!] : t.shape;
    if (!tf.util.arraysEqual(shape, p.shape)) {
      problems.push(`  mis-shaped: ${ckName} → ${ours}: model [${p.shape}], checkpoint [${t.shape}]${shape !== t.shape ? ` (transposed [${shape}])` : ''}`);
      continue;
    }
    assignments.push([ours, ckName, t]);
  }
  for (const name of params.keys()) {
    if (seen.has(name)) continue;
    if (isHead(name)) report.newlyInitialized.push(name);
    else if (strict) problems.push(`  missing:    ${name}`);
    else report.newlyInitialized.push(name);
  }
  if (problems.length > 0) {
    throw new Error(`loadBertWeights: checkpoint does not match the model (nothing was loaded):\n${problems.join('\n')}`);
  }
  for (const [ours, ckName, t] of assignments) {
    const p = params.get(ours)!;
    tf.tidy(() => {
      const raw = tf.tensor(toFloat32(t, ckName), t.shape, 'float32');
      p.assign(isLinearWeight(ours, t.shape.length) ? tf.transpose(raw) : raw);
    });
    report.loaded.push(ours);
  }
  return report;
}

/** Options of {@link bertWeightsToHf}. */
export interface BertToHfOptions {
  /** Prefix of backbone names. Default: `bert.` when the model has a head (`classifier`/`cls`), else none. */
  prefix?: string;
}

/**
 * Our parameters → Hugging Face names and layouts ([out, in] Linear weights, `bert.` prefix on the
 * backbone when the model has a head), ready to write as `model.safetensors` that transformers reads. Reads the
 * weights asynchronously (all at once), so it works on every backend.
 */
export async function bertWeightsToHf(model: Module, options: BertToHfOptions = {}): Promise<Map<string, { dtype: 'F32'; shape: number[]; data: Float32Array }>> {
  const named = model.namedParameters();
  const prefix = options.prefix ?? hfBackbonePrefix(model);
  const out = new Map<string, { dtype: 'F32'; shape: number[]; data: Float32Array }>();
  const entries = named.map(([name, p]) => {
    const linear = isLinearWeight(name, p.shape.length);
    return { hfName: isHead(name) ? name : prefix + name, shape: linear ? [p.shape[1]!, p.shape[0]!] : [...p.shape], t: linear ? tf.transpose(p.variable) : null, v: p.variable };
  });
  try {
    const data = await Promise.all(entries.map((e) => (e.t ?? e.v).data()));
    entries.forEach((e, i) => out.set(e.hfName, { dtype: 'F32', shape: e.shape, data: Float32Array.from(data[i] as Float32Array) }));
  } finally {
    tf.dispose(entries.flatMap((e) => (e.t ? [e.t] : [])));
  }
  return out;
}
