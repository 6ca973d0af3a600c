import * as tf from '@tensorflow/tfjs-core';
import { requireNodeHost, toTensorMap, type Module, type ParameterCounts } from '@lel/core';
import { resolvePeftConfig, type PeftConfig, type ResolvedPeftConfig } from './config';
import { replaceModule } from './module-surgery';
import {
  bitfitToPeftConfig,
  hfNaming,
  isDenseKernel,
  kronaToLokrConfig,
  loraToPeftConfig,
  lokrDecomposeFactor,
  peftConfigToLel,
  PEFT_KEY_PREFIX,
  type AdapterFormat,
  type HfNaming,
} from './peft-format';
import { KronaLinear } from './tuners/krona/layer';
import { linearDims } from './tuners/linear-base';
import { assertAdapterName, isAdapterLayer, type AdapterLayer } from './tuners/adapter-layer';
import { injectBitFit } from './tuners/bitfit/model';
import type { InjectResult } from './tuners/inject';
import { injectKrona } from './tuners/krona/model';
import { injectLora } from './tuners/lora/model';
import { injectRelBitFit } from './tuners/relbitfit/model';

/** File names of a saved adapter (peft's). */
export const ADAPTER_CONFIG_FILE = 'adapter_config.json';
export const ADAPTER_WEIGHTS_FILE = 'adapter_model.safetensors';

/** Options of {@link applyPeft} / {@link PeftModel.addAdapter}. */
export interface AddAdapterOptions {
  /** Adapter name (default `default`). */
  adapterName?: string;
}

/** Options of {@link PeftModel.saveAdapter}. */
export interface SaveAdapterOptions {
  /**
   * `peft`: Hugging Face peft's files (LoRA as `LORA`, linear KronA as `LOKR`, BitFit as bias-only state under
   * transformers' names); `lel`: LEL's own (every method). Default: `peft` when the adapter has a peft form.
   */
  format?: AdapterFormat;
  /** Backbone prefix of transformers' names (default: `bert.` for @lel/models' BERT with a head, else none). */
  hfPrefix?: string;
}

/** Options of {@link PeftModel.loadAdapter} / {@link PeftModel.fromPretrained}. */
export interface LoadAdapterOptions {
  /** Backbone prefix of transformers' names in a peft file (default as {@link SaveAdapterOptions.hfPrefix}). */
  hfPrefix?: string;
  /** Adapter name (default `default`). */
  adapterName?: string;
  /** Leave the adapter trainable (peft `is_trainable`, default false: inference). */
  isTrainable?: boolean;
  /** Make it the active adapter (default true). */
  activate?: boolean;
}

interface AdapterRecord {
  config: ResolvedPeftConfig;
  layers: string[];
  owned: string[];
  trainable: boolean;
  /** The `adapter_config.json` of a peft file this adapter was loaded from (written back on a peft save). */
  peftConfig?: Record<string, unknown>;
}

/** Where one adapter tensor goes in a peft file: its key, transposed or not, and (KronA) a scale to fold in. */
interface PeftKey {
  key: string;
  transpose: boolean;
  foldScale?: string;
}

function injectorFor(config: ResolvedPeftConfig): (m: Module, n: string) => InjectResult | never {
  switch (config.method) {
    case 'bitfit':
      return (m, n) => injectBitFit(m, n, config);
    case 'relbitfit':
      return (m, n) => injectRelBitFit(m, n, config);
    case 'lora':
      return (m, n) => injectLora(m, n, config);
    case 'krona':
      return (m, n) => injectKrona(m, n, config);
  }
}

/**
 * A model with parameter-efficient adapters (peft's `PeftModel`). The wrapped model is modified in place
 * (`peft.model` is the same object), so its own `forward` and @lel/core's `fit` work unchanged.
 *
 * Each adapter is one method (BitFit, RelBitFit, KronA, LoRA). Adapter layers keep every adapter's
 * tensors; base parameters an adapter trains (BitFit biases, `modulesToSave` such as the classifier) are
 * *owned*: the live values belong to the active adapter, the others' are kept aside and swapped in by
 * {@link setAdapter}, and the pretrained values come back with {@link disableAdapters} or {@link unload}.
 */
export class PeftModel<M extends Module = Module> {
  private readonly adapters = new Map<string, AdapterRecord>();
  private active: string | null = null;
  private disabled = false;
  private readonly originalTrainable: Map<string, boolean>;
  private readonly baseValues = new Map<string, tf.Tensor>();
  private readonly stash = new Map<string, Map<string, tf.Tensor>>();

  constructor(readonly model: M) {
    this.originalTrainable = new Map(model.namedParameters().map(([n, p]) => [n, p.trainable]));
  }

  /** Wrap `model` with a first adapter (peft `get_peft_model`). */
  static wrap<M extends Module>(model: M, config: PeftConfig, options: AddAdapterOptions = {}): PeftModel<M> {
    const pm = new PeftModel(model);
    const name = options.adapterName ?? 'default';
    pm.addAdapter(name, config);
    pm.setAdapter(name);
    return pm;
  }

  /** Load a saved adapter onto a (fresh) base model (peft `PeftModel.from_pretrained`). */
  static async fromPretrained<M extends Module>(model: M, dir: string, options: LoadAdapterOptions = {}): Promise<PeftModel<M>> {
    const pm = new PeftModel(model);
    await pm.loadAdapter(dir, options);
    return pm;
  }

  /** Adapter names, in insertion order. */
  listAdapters(): string[] {
    return [...this.adapters.keys()];
  }

  get activeAdapter(): string | null {
    return this.active;
  }

  /** The resolved config of adapter `name` (default: the active one). */
  config(name = this.requireActive('config')): ResolvedPeftConfig {
    return this.record(name).config;
  }

  private record(name: string): AdapterRecord {
    const r = this.adapters.get(name);
    if (!r) throw new Error(`PeftModel: no adapter "${name}" (have: ${this.listAdapters().join(', ') || 'none'})`);
    return r;
  }

  private requireActive(what: string): string {
    if (this.active === null) throw new Error(`PeftModel.${what}: no active adapter`);
    return this.active;
  }

  private adapterLayers(): [string, AdapterLayer][] {
    return this.model.namedModules().filter((e): e is [string, AdapterLayer] => isAdapterLayer(e[1]));
  }

  private param(name: string) {
    return this.model.getParameter(name);
  }

  /** Add adapter `name` (inactive; call {@link setAdapter}). Its fresh tensors follow the method's initialisation. */
  addAdapter(name: string, config: PeftConfig): void {
    assertAdapterName(name);
    if (this.adapters.has(name)) throw new Error(`PeftModel.addAdapter: adapter "${name}" already exists`);
    const resolved = resolvePeftConfig(config);
    if (this.adapterLayers().some(([, l]) => l.mergedAdapter !== null)) throw new Error('PeftModel.addAdapter: unmerge first');
    let injected: InjectResult;
    try {
      injected = injectorFor(resolved)(this.model, name);
    } catch (e) {
      this.rollback(name);
      throw e;
    }
    const { layers, owned } = injected;
    for (const n of owned) if (!this.baseValues.has(n)) this.baseValues.set(n, tf.clone(this.param(n).variable));
    // An inactive adapter's owned values start as the base values.
    this.stash.set(name, new Map(owned.map((n) => [n, tf.clone(this.baseValues.get(n)!)])));
    this.adapters.set(name, { config: resolved, layers, owned, trainable: true });
  }

  /** Undo a failed injection: drop `name` from every layer and unwrap layers left without adapters. */
  private rollback(name: string): void {
    for (const [path, l] of this.adapterLayers().reverse()) {
      if (l.hasAdapter(name)) l.deleteAdapter(name);
      if (l.adapterNames().length === 0) replaceModule(this.model, path, l.baseLayer);
    }
  }

  private stashActive(): void {
    if (this.active === null) return;
    const rec = this.record(this.active);
    const saved = new Map<string, tf.Tensor>();
    for (const n of rec.owned) {
      const p = this.param(n);
      saved.set(n, tf.clone(p.variable));
      p.assign(this.baseValues.get(n)!);
    }
    this.stash.set(this.active, saved);
  }

  private restoreFromStash(name: string): void {
    const saved = this.stash.get(name)!;
    for (const [n, t] of saved) this.param(n).assign(t);
    tf.dispose([...saved.values()]);
    this.stash.delete(name);
  }

  /** Make `name` the active adapter: its layers run, its owned values are live, only its tensors train. */
  setAdapter(name: string): void {
    const rec = this.record(name);
    if (this.adapterLayers().some(([, l]) => l.mergedAdapter !== null)) throw new Error('PeftModel.setAdapter: an adapter is merged; unmerge first');
    if (this.active !== name) {
      if (!this.disabled) this.stashActive();
      else if (this.active !== null) this.stash.set(this.active, this.stash.get(this.active) ?? new Map());
      this.active = name;
      if (!this.disabled) this.restoreFromStash(name);
    }
    for (const [, l] of this.adapterLayers()) {
      l.activeAdapter = l.hasAdapter(name) ? name : null;
      l.enableAdapters(!this.disabled);
    }
    this.applyTrainable(rec);
  }

  private applyTrainable(rec: AdapterRecord): void {
    this.model.freeze();
    if (!rec.trainable) return;
    const active = this.active!;
    const names = new Set(rec.owned);
    for (const [path, l] of this.adapterLayers()) {
      if (!l.hasAdapter(active)) continue;
      for (const [local] of l.adapterParameters(active)) names.add(`${path}.${local}.${active}`);
    }
    for (const [n, p] of this.model.namedParameters()) if (names.has(n)) p.trainable = true;
  }

  /** Names of the parameters adapter `name` trains (full model names). */
  trainableParameterNames(name = this.requireActive('trainableParameterNames')): string[] {
    const rec = this.record(name);
    const names = new Set(rec.owned);
    for (const [path, l] of this.adapterLayers()) {
      if (!l.hasAdapter(name)) continue;
      for (const [local] of l.adapterParameters(name)) names.add(`${path}.${local}.${name}`);
    }
    return this.model.namedParameters().map(([n]) => n).filter((n) => names.has(n));
  }

  /** peft's counts: trainable / all (base + every adapter's tensors) / percent. */
  countParameters(): ParameterCounts {
    return this.model.countParameters();
  }

  /** Element count of adapter `name`'s own tensors (not the base parameters it trains). */
  adapterParameterCount(name = this.requireActive('adapterParameterCount')): number {
    this.record(name);
    let n = 0;
    for (const [, l] of this.adapterLayers()) if (l.hasAdapter(name)) for (const [, p] of l.adapterParameters(name)) n += p.size;
    return n;
  }

  /** peft's `print_trainable_parameters` line. */
  trainableParametersSummary(): string {
    const c = this.countParameters();
    return `trainable params: ${c.trainable.toLocaleString('en-US')} || all params: ${c.all.toLocaleString('en-US')} || trainable%: ${c.percent.toFixed(4)}`;
  }

  /** Run the base model alone: adapter layers bypassed, owned parameters back to their pretrained values. */
  disableAdapters(): void {
    if (this.disabled) return;
    this.stashActive();
    this.disabled = true;
    for (const [, l] of this.adapterLayers()) l.enableAdapters(false);
  }

  /** Undo {@link disableAdapters}. */
  enableAdapters(): void {
    if (!this.disabled) return;
    this.disabled = false;
    if (this.active !== null) this.restoreFromStash(this.active);
    for (const [, l] of this.adapterLayers()) l.enableAdapters(true);
  }

  /** Run `fn` with adapters disabled (peft's `disable_adapter()` context). */
  withAdaptersDisabled<T>(fn: () => T): T {
    const was = this.disabled;
    this.disableAdapters();
    try {
      return fn();
    } finally {
      if (!was) this.enableAdapters();
    }
  }

  /** Remove adapter `name` (its layers go back to the base modules when no adapter is left on them). */
  deleteAdapter(name: string): void {
    this.record(name);
    if (this.adapterLayers().some(([, l]) => l.mergedAdapter === name)) throw new Error(`PeftModel.deleteAdapter: "${name}" is merged; unmerge first`);
    if (this.active === name) {
      if (!this.disabled) this.stashActive();
      this.active = null;
    }
    tf.dispose([...(this.stash.get(name)?.values() ?? [])]);
    this.stash.delete(name);
    for (const [path, l] of this.adapterLayers()) {
      if (!l.hasAdapter(name)) continue;
      l.deleteAdapter(name);
      if (l.adapterNames().length === 0) {
        replaceModule(this.model, path, l.baseLayer);
      }
    }
    this.adapters.delete(name);
    const stillOwned = new Set([...this.adapters.values()].flatMap((r) => r.owned));
    for (const [n, t] of [...this.baseValues]) {
      if (!stillOwned.has(n)) {
        t.dispose();
        this.baseValues.delete(n);
      }
    }
    if (this.active === null) {
      this.model.freeze();
      for (const [n, p] of this.model.namedParameters()) p.trainable = this.originalTrainable.get(n) ?? true;
    }
  }

  /**
   * Adapter `name`'s tensors for saving, keyed without the adapter name (`…query.lora_A`, plus owned base
   * parameters under their own names). Returns clones: the caller disposes them.
   */
  adapterStateDict(name = this.requireActive('adapterStateDict')): Map<string, tf.Tensor> {
    const rec = this.record(name);
    const out = new Map<string, tf.Tensor>();
    for (const [path, l] of this.adapterLayers()) {
      if (!l.hasAdapter(name)) continue;
      for (const [local, p] of l.adapterParameters(name)) out.set(`${path}.${local}`, tf.clone(p.variable));
    }
    const live = this.active === name && !this.disabled;
    for (const n of rec.owned) out.set(n, tf.clone(live ? this.param(n).variable : this.stash.get(name)!.get(n)!));
    return out;
  }

  /**
   * Where each tensor of {@link adapterStateDict} goes in a peft file (LoRA: `…lora_A.weight` `[r, in]`,
   * `…lora_B.weight` `[out, r]`; KronA: LoKr's `…lokr_w1` = Aᵀ, `…lokr_w2` = Bᵀ, a learned s folded into w1;
   * owned parameters under their transformers names, dense kernels `[out, in]`), or why there is no peft form.
   */
  private peftKeys(name: string, naming: HfNaming): Map<string, PeftKey> | string {
    const rec = this.record(name);
    const c = rec.config;
    if (c.method === 'relbitfit') return 'peft has no RelBitFit (relative-position attention terms)';
    if (c.method === 'krona' && c.variant !== 'linear') return `peft has no KronA^B (variant "${c.variant}" runs beside a whole FFN block)`;
    const out = new Map<string, PeftKey>();
    const at = (path: string, suffix: string) => `${PEFT_KEY_PREFIX}${naming.toHf(path)}.${suffix}`;
    for (const [path, l] of this.adapterLayers()) {
      if (!l.hasAdapter(name)) continue;
      for (const [local] of l.adapterParameters(name)) {
        const k = `${path}.${local}`;
        if (local === 'lora_A' || local === 'lora_B') out.set(k, { key: at(path, `${local}.weight`), transpose: true });
        else if (local === 'krona_A') out.set(k, { key: at(path, 'lokr_w1'), transpose: true, ...(l.adapterParameters(name).some(([n]) => n === 'krona_scale') ? { foldScale: `${path}.krona_scale` } : {}) });
        else if (local === 'krona_B') out.set(k, { key: at(path, 'lokr_w2'), transpose: true });
        else if (local !== 'krona_scale') return `no peft form for adapter tensor ${k}`;
      }
    }
    for (const n of rec.owned) {
      const shape = this.param(n).shape;
      if (shape.length > 2) return `owned parameter ${n} [${shape}] has no PyTorch layout LEL knows`;
      out.set(n, { key: PEFT_KEY_PREFIX + naming.toHf(n), transpose: isDenseKernel(this.model, n) });
    }
    return out;
  }

  /** The peft `adapter_config.json` of adapter `name`, or why there is none. */
  private peftConfigOf(name: string, naming: HfNaming): Record<string, unknown> | string {
    const rec = this.record(name);
    const c = rec.config;
    let generated: Record<string, unknown>;
    if (c.method === 'lora') generated = loraToPeftConfig(c, this.model, rec.layers, naming);
    else if (c.method === 'bitfit') generated = bitfitToPeftConfig(c, this.model);
    else if (c.method === 'krona' && c.variant === 'linear') {
      const layers = rec.layers.map((p) => {
        const l = this.model.getModule(p) as KronaLinear;
        const [inF, outF] = linearDims(l.baseLayer);
        const { aShape, bShape } = l.adapterSpec(name);
        return { inF, outF, aShape, bShape };
      });
      const f = lokrDecomposeFactor(layers, c.decomposeFactor);
      if (f === null) return `KronA factor shapes (A [${layers[0]!.aShape}], B [${layers[0]!.bShape}]) are not LoKr's factorisation of the layer sizes for any decompose_factor`;
      // Any r ≥ max(out_k, in_n)/2 keeps LoKr's w2 whole; r = max(out_k, in_n) (w1 is whole without decompose_both).
      const r = Math.max(1, ...layers.map((l) => Math.max(l.bShape[0], l.bShape[1])));
      generated = kronaToLokrConfig(c, this.model, rec.layers, naming, f, r);
    } else return `peft has no ${c.method}${c.method === 'krona' ? ` variant "${c.variant}"` : ''}`;
    return rec.peftConfig ? { ...generated, ...rec.peftConfig } : generated;
  }

  /**
   * Write `adapter_config.json` and `adapter_model.safetensors` to `dir` (peft `save_pretrained`): in peft's
   * format (default where one exists: `PeftModel.from_pretrained` in Python reads LoRA and LoKr folders) or in
   * LEL's (`format: 'lel'`, every method). Returns the written paths.
   */
  async saveAdapter(dir: string, name = this.requireActive('saveAdapter'), options: SaveAdapterOptions = {}): Promise<string[]> {
    const rec = this.record(name);
    const naming = hfNaming(this.model, options.hfPrefix);
    const keys = this.peftKeys(name, naming);
    const peftConfig = typeof keys === 'string' ? keys : this.peftConfigOf(name, naming);
    const format = options.format ?? (typeof peftConfig === 'string' ? 'lel' : 'peft');
    if (format === 'peft' && typeof peftConfig === 'string') throw new Error(`PeftModel.saveAdapter: adapter "${name}" cannot be saved in peft's format: ${peftConfig}; use format 'lel'`);
    const files = requireNodeHost('PeftModel.saveAdapter');
    await files.mkdir(dir);
    const tensors = this.adapterStateDict(name);
    const toWrite = new Map<string, tf.Tensor>();
    try {
      let meta: Record<string, unknown>;
      if (format === 'peft') {
        for (const [k, t] of tensors) {
          const m = (keys as Map<string, PeftKey>).get(k);
          if (!m) continue; // a learned KronA scale, folded into lokr_w1
          toWrite.set(m.key, tf.tidy(() => {
            const v = m.transpose ? tf.transpose(t) : tf.clone(t);
            const s = m.foldScale ? tensors.get(m.foldScale) : undefined;
            // lokr_w1 carries s / (alpha / r) so that LoKr's fixed alpha / r times it gives the learned s.
            const base = rec.config.method === 'krona' && rec.config.scale !== 0 ? rec.config.scale : 1;
            return s ? tf.mul(v, tf.div(s, base)) : v;
          }));
        }
        meta = peftConfig as Record<string, unknown>;
      } else {
        for (const [k, t] of tensors) toWrite.set(k, t);
        meta = { peft_type: rec.config.method.toUpperCase(), library: '@lel/peft', ...rec.config };
      }
      const wPath = files.join(dir, ADAPTER_WEIGHTS_FILE);
      await files.writeSafetensorsFile(wPath, toWrite, format === 'peft' ? { format: 'pt' } : { format: 'lel-peft', method: rec.config.method });
      const cPath = files.join(dir, ADAPTER_CONFIG_FILE);
      await files.writeFileAtomic(cPath, new TextEncoder().encode(JSON.stringify(meta, null, 2) + '\n'));
      return [cPath, wPath];
    } finally {
      tf.dispose([...tensors.values()]);
      if (format === 'peft') tf.dispose([...toWrite.values()]);
    }
  }

  /**
   * Add an adapter from a folder written by {@link saveAdapter} or by Python peft's `save_pretrained`
   * (`LORA`, `LOKR` as linear KronA, with `modules_to_save`; keys `base_model.model.<transformers name>…`),
   * as peft's `load_adapter`. The files must match the injected adapter exactly: missing, unexpected or
   * mis-shaped tensors are listed (under the file's keys) in the error and nothing is added.
   */
  async loadAdapter(dir: string, options: LoadAdapterOptions = {}): Promise<string> {
    const name = options.adapterName ?? 'default';
    const files = requireNodeHost('PeftModel.loadAdapter');
    const configFile = files.join(dir, ADAPTER_CONFIG_FILE);
    let raw: Record<string, unknown>;
    try {
      raw = JSON.parse(await files.readText(configFile)) as Record<string, unknown>;
    } catch (e) {
      throw new Error(`PeftModel.loadAdapter: cannot read ${configFile}: ${(e as Error).message}`);
    }
    const isLel = 'method' in raw;
    const naming = hfNaming(this.model, options.hfPrefix);
    let config: PeftConfig;
    if (isLel) {
      const { peft_type: _t, library: _l, ...rest } = raw;
      config = rest as PeftConfig;
    } else config = peftConfigToLel(raw, this.model, naming, configFile) as PeftConfig;
    const weightsFile = files.join(dir, ADAPTER_WEIGHTS_FILE);
    const tensors = toTensorMap(await files.readSafetensorsFile(weightsFile));
    try {
      this.addAdapter(name, config);
      let keys: Map<string, PeftKey>;
      if (isLel) keys = new Map(this.adapterStateKeys(name).map((k) => [k, { key: k, transpose: false }]));
      else {
        const k = this.peftKeys(name, naming);
        if (typeof k === 'string') {
          this.deleteAdapter(name);
          throw new Error(`PeftModel.loadAdapter: ${weightsFile}: ${k}`);
        }
        keys = k;
      }
      const expected = this.adapterStateDict(name);
      const problems: string[] = [];
      const fileKeys = new Set<string>();
      for (const [k, t] of expected) {
        const m = keys.get(k);
        if (!m) continue;
        fileKeys.add(m.key);
        const got = tensors.get(m.key);
        const want = m.transpose ? [...t.shape].reverse() : t.shape;
        if (!got) problems.push(`  missing:    ${m.key}`);
        else if (!tf.util.arraysEqual(got.shape, want)) problems.push(`  mis-shaped: ${m.key} expected [${want}] got [${got.shape}]`);
      }
      for (const k of tensors.keys()) if (!fileKeys.has(k)) problems.push(`  unexpected: ${k}${/lokr_w[12]_[ab]$/.test(k) ? ' (a low-rank LoKr factor: LEL reads full lokr_w1 / lokr_w2 only, i.e. KronA)' : ''}`);
      tf.dispose([...expected.values()]);
      if (problems.length > 0) {
        this.deleteAdapter(name);
        throw new Error(`PeftModel.loadAdapter: ${dir} does not match the model:\n${problems.join('\n')}`);
      }
      const rec = this.record(name);
      const value = (k: string): tf.Tensor => {
        const m = keys.get(k)!;
        const t = tensors.get(m.key)!;
        return m.transpose ? tf.transpose(t) : t;
      };
      for (const [path, l] of this.adapterLayers()) {
        if (!l.hasAdapter(name)) continue;
        for (const [local, p] of l.adapterParameters(name)) {
          if (keys.has(`${path}.${local}`)) tf.tidy(() => p.assign(value(`${path}.${local}`)));
        }
      }
      const stash = this.stash.get(name)!;
      for (const n of rec.owned) {
        tf.dispose(stash.get(n));
        stash.set(n, tf.tidy(() => tf.clone(value(n))));
      }
      if (!isLel) rec.peftConfig = raw;
      rec.trainable = options.isTrainable ?? false;
      if (options.activate ?? true) this.setAdapter(name);
      return name;
    } finally {
      tf.dispose([...tensors.values()]);
    }
  }

  /** Keys of {@link adapterStateDict} (without copying tensors). */
  private adapterStateKeys(name: string): string[] {
    const rec = this.record(name);
    const keys: string[] = [];
    for (const [path, l] of this.adapterLayers()) if (l.hasAdapter(name)) for (const [local] of l.adapterParameters(name)) keys.push(`${path}.${local}`);
    return [...keys, ...rec.owned];
  }

  /** Fold the active adapter into the base weights (LoRA, KronA; BitFit is already in place). */
  merge(): void {
    const name = this.requireActive('merge');
    if (this.disabled) throw new Error('PeftModel.merge: adapters are disabled');
    const layers = this.adapterLayers().filter(([, l]) => l.hasAdapter(name));
    const bad = layers.filter(([, l]) => !l.mergeable).map(([p, l]) => `${p} (${l.constructor.name})`);
    if (bad.length > 0) throw new Error(`PeftModel.merge: adapter "${name}" cannot be merged at ${bad.slice(0, 3).join(', ')}${bad.length > 3 ? ', …' : ''}`);
    for (const [, l] of layers) l.merge(name);
  }

  /** Undo {@link merge}. */
  unmerge(): void {
    for (const [, l] of this.adapterLayers()) l.unmerge();
  }

  /**
   * Merge the active adapter and return the plain base model (peft `merge_and_unload`): adapter layers
   * replaced by their merged base modules, the adapter's trained biases/heads kept, other adapters
   * dropped, trainable flags as before wrapping. The PeftModel is empty afterwards.
   */
  mergeAndUnload(): M {
    if (this.active !== null) {
      if (this.disabled) this.enableAdapters();
      if (this.adapterLayers().every(([, l]) => l.mergedAdapter === null)) this.merge();
    }
    return this.strip(true);
  }

  /** Remove every adapter without merging and return the base model with its pretrained values (peft `unload`). */
  unload(): M {
    this.unmerge();
    if (!this.disabled) this.stashActive();
    return this.strip(false);
  }

  private strip(keepLive: boolean): M {
    for (const [path, l] of this.adapterLayers().reverse()) {
      replaceModule(this.model, path, l.baseLayer);
      l.deleteAllAdapters();
    }
    if (!keepLive) for (const [n, t] of this.baseValues) this.param(n).assign(t);
    tf.dispose([...this.baseValues.values()]);
    this.baseValues.clear();
    for (const s of this.stash.values()) tf.dispose([...s.values()]);
    this.stash.clear();
    this.adapters.clear();
    this.active = null;
    this.disabled = false;
    for (const [n, p] of this.model.namedParameters()) p.trainable = this.originalTrainable.get(n) ?? true;
    return this.model;
  }

  /** Release the kept-aside values (the model itself is not disposed). */
  dispose(): void {
    tf.dispose([...this.baseValues.values()]);
    this.baseValues.clear();
    for (const s of this.stash.values()) tf.dispose([...s.values()]);
    this.stash.clear();
  }
}

/**
 * Wrap `model` with a parameter-efficient method (peft's `get_peft_model`): freeze the base, inject the
 * method into the target modules, keep `modulesToSave` (and, for BitFit, the selected biases) trainable.
 */
export function applyPeft<M extends Module>(model: M, config: PeftConfig, options: AddAdapterOptions = {}): PeftModel<M> {
  return PeftModel.wrap(model, config, options);
}
