import type { Module } from '@lel/core';
import { BertForSequenceClassification, BertModel, hfBackbonePrefix, isBertHeadName } from '@lel/models';
import type { ResolvedPeftConfig } from './config';
import { factorization } from './factorization';
import { layerIndex, matchesTarget } from './targets';
import { isLinearLike } from './tuners/linear-base';
import type { ResolvedBitFitConfig } from './tuners/bitfit/config';
import type { ResolvedKronaConfig } from './tuners/krona/config';
import type { ResolvedLoraConfig } from './tuners/lora/config';

/** Prefix of every key in a peft adapter file (the `PeftModel.base_model.model` state dict). */
export const PEFT_KEY_PREFIX = 'base_model.model.';

/** How a saved adapter is written: peft's files (LoRA, LoKr for KronA, BitFit as HF-named state) or LEL's own. */
export type AdapterFormat = 'peft' | 'lel';

/** LEL parameter / module names ↔ transformers names (the `bert.` backbone prefix of a model with a head). */
export interface HfNaming {
  /** The transformers name of a LEL name. */
  toHf(lelName: string): string;
  /** The LEL name of a transformers name, or null when it is not one of this model's. */
  fromHf(hfName: string): string | null;
}

/**
 * The naming of `model` in transformers: @lel/models' BERT with a head drops the `bert.` prefix of its backbone
 * (`encoder.layer.0…` ↔ `bert.encoder.layer.0…`, `classifier.*` unchanged); any other model keeps its names.
 * `prefix` overrides the backbone prefix.
 */
export function hfNaming(model: Module, prefix?: string): HfNaming {
  const p = prefix ?? (model instanceof BertModel ? hfBackbonePrefix(model) : '');
  if (p === '') return { toHf: (n) => n, fromHf: (n) => n };
  return {
    toHf: (n) => (isBertHeadName(n) ? n : p + n),
    fromHf: (n) => (n.startsWith(p) ? n.slice(p.length) : isBertHeadName(n) ? n : null),
  };
}

/** Whether full parameter name `name` is the kernel of a dense layer (stored `[in, out]` here, `[out, in]` by PyTorch). */
export function isDenseKernel(model: Module, name: string): boolean {
  if (!name.endsWith('.weight')) return false;
  try {
    return isLinearLike(model.getModule(name.slice(0, -'.weight'.length)));
  } catch {
    return false;
  }
}

/** peft's `task_type` for a model: `SEQ_CLS` for a sequence classifier (peft then keeps `classifier` trainable), else null. */
export function peftTaskType(model: Module): string | null {
  return model instanceof BertForSequenceClassification ? 'SEQ_CLS' : null;
}

/**
 * The LoKr `decompose_factor` whose factorisation gives KronA's factor shapes on every layer, or null when
 * none does (custom `aShape`/`bShape` that LoKr's rule cannot produce). LoKr's `w1 [out_l, in_m]` is KronA's
 * Aᵀ and `w2 [out_k, in_n]` its Bᵀ.
 */
export function lokrDecomposeFactor(layers: { inF: number; outF: number; aShape: [number, number]; bShape: [number, number] }[], preferred: number): number | null {
  const fits = (f: number) =>
    layers.every(({ inF, outF, aShape, bShape }) => {
      const [inM, inN] = factorization(inF, f);
      const [outL, outK] = factorization(outF, f);
      return aShape[0] === inM && aShape[1] === outL && bShape[0] === inN && bShape[1] === outK;
    });
  const candidates = [preferred, ...new Set(layers.flatMap((l) => [l.aShape[0], l.aShape[1]]))];
  for (const f of candidates) if ((f === -1 || f > 0) && fits(f)) return f;
  return null;
}

/** peft `target_modules` for a LEL target: a list keeps its suffix semantics; a regex becomes the list of matched transformers paths. */
export function peftTargetModules(target: string[] | string, matchedPaths: string[], naming: HfNaming): string[] | string {
  if (Array.isArray(target) || target === 'all-linear') return target;
  return matchedPaths.map((p) => naming.toHf(p));
}

/** Fields of a peft config that LEL writes for every method. */
function commonPeftFields(config: ResolvedPeftConfig, model: Module, targetModules: string[] | string | null): Record<string, unknown> {
  const task = peftTaskType(model);
  const modulesToSave = config.modulesToSave ?? (task === 'SEQ_CLS' ? ['classifier'] : null);
  return {
    base_model_name_or_path: null,
    revision: null,
    task_type: task,
    inference_mode: true,
    ...(targetModules !== null ? { target_modules: targetModules } : {}),
    exclude_modules: Array.isArray(targetModules) || targetModules === 'all-linear' ? (config.excludeModules ?? null) : null,
    layers_to_transform: Array.isArray(targetModules) || targetModules === 'all-linear' ? (config.layersToTransform ?? null) : null,
    layers_pattern: Array.isArray(targetModules) || targetModules === 'all-linear' ? (config.layersToTransform ? config.layersPattern : null) : null,
    modules_to_save: modulesToSave,
  };
}

/** peft's `LoraConfig` (snake_case, the fields peft 0.21 reads) for a LEL LoRA config. */
export function loraToPeftConfig(config: ResolvedLoraConfig, model: Module, matchedPaths: string[], naming: HfNaming): Record<string, unknown> {
  return {
    peft_type: 'LORA',
    ...commonPeftFields(config, model, peftTargetModules(config.targetModules, matchedPaths, naming)),
    r: config.r,
    lora_alpha: config.loraAlpha,
    lora_dropout: config.loraDropout,
    use_rslora: config.useRslora,
    bias: config.bias,
    init_lora_weights: config.initLoraWeights,
    fan_in_fan_out: false,
    use_dora: false,
    lora_bias: false,
    rank_pattern: {},
    alpha_pattern: {},
  };
}

/** peft's `LoKrConfig` for a linear KronA adapter (`r` large enough that LoKr keeps full `w1`, `w2`; `alpha / r` = s). */
export function kronaToLokrConfig(config: ResolvedKronaConfig, model: Module, matchedPaths: string[], naming: HfNaming, decomposeFactor: number, r: number): Record<string, unknown> {
  return {
    peft_type: 'LOKR',
    ...commonPeftFields(config, model, peftTargetModules(config.targetModules ?? ['query', 'value'], matchedPaths, naming)),
    r,
    alpha: (config.scale === 0 ? 1 : config.scale) * r,
    rank_dropout: 0,
    module_dropout: 0,
    use_effective_conv2d: false,
    decompose_both: false,
    decompose_factor: decomposeFactor,
    rank_dropout_scale: false,
    init_weights: config.zeroFactor === 'A' ? true : 'lycoris',
    rank_pattern: {},
    alpha_pattern: {},
  };
}

/**
 * BitFit has no peft type: its file holds the trained biases (and `modulesToSave` heads) under transformers'
 * names with peft's `base_model.model.` prefix, as peft saves `modules_to_save`; the config says `BITFIT`
 * and is read by LEL only (Python loads the tensors with `load_state_dict(…, strict=False)`).
 */
export function bitfitToPeftConfig(config: ResolvedBitFitConfig, model: Module): Record<string, unknown> {
  return {
    peft_type: 'BITFIT',
    library: '@lel/peft',
    task_type: peftTaskType(model),
    inference_mode: true,
    bias_terms: config.components,
    always_trainable: config.alwaysTrainable,
    modules_to_save: config.modulesToSave ?? null,
  };
}

/** A setting in a peft config that LEL cannot reproduce, or null. Defaults (null, false, {}, []) pass. */
function isUnset(v: unknown): boolean {
  if (v === null || v === undefined || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.keys(v as object).length === 0;
  return false;
}

// Keys that only matter when initialising a fresh adapter, or are bookkeeping: ignored when loading trained weights.
const HARMLESS = new Set([
  'peft_type', 'peft_version', 'auto_mapping', 'base_model_name_or_path', 'revision', 'task_type', 'inference_mode',
  'target_modules', 'exclude_modules', 'layers_to_transform', 'layers_pattern', 'modules_to_save',
  'loftq_config', 'eva_config', 'corda_config', 'lora_ga_config', 'megatron_core', 'qalora_group_size', 'library',
  'init_lora_weights', 'init_weights',
]);

/** Throws naming every field of a peft config that changes the adapter's function in a way LEL does not implement. */
export function assertSupportedPeftFields(raw: Record<string, unknown>, understood: readonly string[], file: string): void {
  const bad = Object.entries(raw)
    .filter(([k, v]) => !HARMLESS.has(k) && !understood.includes(k) && !isUnset(v))
    .map(([k, v]) => `${k} = ${JSON.stringify(v)}`);
  if (bad.length > 0) throw new Error(`${file}: peft settings LEL does not implement (the adapter would compute something else): ${bad.join(', ')}`);
}

/** Which LEL module paths a peft `target_modules` (+ exclusions, layer filter) selects, matched on transformers paths as peft does. */
export function resolvePeftTargets(model: Module, raw: Record<string, unknown>, naming: HfNaming, file: string): string[] {
  const target = raw['target_modules'];
  if (target === undefined || target === null) throw new Error(`${file}: target_modules is missing`);
  const exclude = raw['exclude_modules'] as string[] | string | null | undefined;
  let layers = raw['layers_to_transform'] as number[] | number | null | undefined;
  if (typeof layers === 'number') layers = [layers];
  let pattern = raw['layers_pattern'] as string[] | string | null | undefined;
  if (Array.isArray(pattern)) {
    if (pattern.length !== 1) throw new Error(`${file}: layers_pattern ${JSON.stringify(pattern)}: LEL takes one pattern`);
    pattern = pattern[0];
  }
  const out: string[] = [];
  for (const [path, m] of model.namedModules()) {
    if (path === '' || path.split('.').includes('base_layer')) continue;
    const hf = naming.toHf(path);
    if (target === 'all-linear') {
      if (!isLinearLike(m) || isBertHeadName(path)) continue;
    } else if (!matchesTarget(hf, target as string[] | string)) continue;
    if (exclude && matchesTarget(hf, exclude)) continue;
    if (layers) {
      const idx = layerIndex(hf, pattern ?? 'layer');
      if (idx === null || !layers.includes(idx)) continue;
    }
    out.push(path);
  }
  if (out.length === 0) throw new Error(`${file}: target_modules ${JSON.stringify(target)} matches no module of this model`);
  return out;
}

/** `modules_to_save` entries that name a module of this model (peft ignores the others, e.g. `score` on BERT), in LEL names. */
export function resolveModulesToSave(model: Module, raw: Record<string, unknown>, naming: HfNaming): string[] | undefined {
  const list = raw['modules_to_save'];
  if (!Array.isArray(list)) return undefined;
  const paths = model.namedModules().map(([p]) => p).filter((p) => p !== '');
  const kept = (list as string[]).filter((t) => paths.some((p) => { const hf = naming.toHf(p); return hf === t || hf.endsWith('.' + t); }));
  return kept.map((t) => naming.fromHf(t) ?? t);
}

/** The LEL config of a peft `adapter_config.json` (LORA, LOKR as linear KronA, LEL's BITFIT), checked against the model. */
export function peftConfigToLel(raw: Record<string, unknown>, model: Module, naming: HfNaming, file: string): ResolvedPeftConfig | Record<string, unknown> {
  const type = raw['peft_type'];
  const num = (k: string, d: number): number => {
    const v = raw[k] ?? d;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${file}: ${k} must be a number, got ${JSON.stringify(raw[k])}`);
    return v;
  };
  const modulesToSave = resolveModulesToSave(model, raw, naming);
  const common = modulesToSave !== undefined ? { modulesToSave } : {};
  switch (type) {
    case 'LORA': {
      assertSupportedPeftFields(raw, ['r', 'lora_alpha', 'lora_dropout', 'use_rslora', 'bias'], file);
      const init = raw['init_lora_weights'];
      return {
        method: 'lora',
        r: num('r', 8),
        loraAlpha: num('lora_alpha', 8),
        loraDropout: num('lora_dropout', 0),
        useRslora: raw['use_rslora'] === true,
        bias: (raw['bias'] as string | undefined) ?? 'none',
        // Only the initialisation of fresh adapters differs; the loaded weights replace it.
        initLoraWeights: init === 'gaussian' ? 'gaussian' : true,
        targetModules: resolvePeftTargets(model, raw, naming, file),
        ...common,
      };
    }
    case 'LOKR': {
      assertSupportedPeftFields(raw, ['r', 'alpha', 'rank_dropout', 'module_dropout', 'use_effective_conv2d', 'decompose_factor', 'rank_dropout_scale'], file);
      const r = num('r', 8);
      if (r <= 0) throw new Error(`${file}: r must be positive, got ${r}`);
      return {
        method: 'krona',
        variant: 'linear',
        decomposeFactor: num('decompose_factor', -1),
        scale: num('alpha', 8) / r,
        zeroFactor: raw['init_weights'] === 'lycoris' ? 'B' : 'A',
        targetModules: resolvePeftTargets(model, raw, naming, file),
        ...common,
      };
    }
    case 'BITFIT':
      assertSupportedPeftFields(raw, ['bias_terms', 'always_trainable'], file);
      return {
        method: 'bitfit',
        ...(raw['bias_terms'] !== undefined ? { components: raw['bias_terms'] } : {}),
        ...(raw['always_trainable'] !== undefined ? { alwaysTrainable: raw['always_trainable'] } : {}),
        ...common,
      };
    default:
      throw new Error(`${file}: peft_type ${JSON.stringify(type)} has no LEL equivalent (LEL reads LORA, LOKR as KronA, and its own BITFIT; RelBitFit and KronA^B use LEL's format)`);
  }
}
